#!/usr/bin/env bash
# The general (affine) path against nibabel + scipy.ndimage.affine_transform.
#
#   bash bench/affine.sh [N]      (default 256: N^3 float32 at 0.1 mm)
#   PEERS=0 bash bench/affine.sh N  (without scipy)
#
# Against the spacing-only job on the same volume (--spacing 0.1 0.1 0.15,
# the throughput benchmark's job; best of 3): the column vs_spacing is the
# transform's wall time over it (issue 18: within 2x for rot5z at order 1).
# Three world transforms about the volume's centre: a 5-degree rotation
# within the slices and a 5-degree tilt out of them (respace samples both
# from a ring of planes in memory), and a 90-degree x<->z turn (every plane
# for every output plane: a ring of the whole volume while its coefficients
# fit the default 256M limit, the temporary file from N = 384 on). Orders 1
# and 3, .nii.gz output. Prints wall and CPU seconds,
# peak RSS, which source respace used, and scipy/respace. respace's time is
# the fastest of 3 runs; scipy's is one run. scipy is skipped when numpy,
# scipy or nibabel are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-256}
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/release/bench/respace_make_volume "$work/in.nii.gz" "$N" "$N" "$N" --spacing 0.1 --pattern specimen >/dev/null
have_scipy=${PEERS:-1}  # PEERS=0 bash bench/affine.sh: respace alone
"$PY" -c "import numpy, scipy, nibabel" 2>/dev/null || have_scipy=0
for name in rot5z tilt5x turn90; do
  bash bench/make_transform.sh "$name" "$N" > "$work/$name.txt"
done

measure() {  # measure COMMAND... -> "wall cpu rss_mib"
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null
  read -r wall user sys rss < "$work/t"
  echo "$wall $(awk "BEGIN{print $user+$sys}") $((rss / 1024))"
}

echo "respace affine benchmark: ${N}^3 float32 (specimen), $(nproc) cores, $(date -I)"
spacing=""
for _ in 1 2 3; do
  r=$(measure "$BIN" "$work/in.nii.gz" "$work/sp.nii.gz" --spacing 0.1 0.1 0.15 --force --quiet)
  if [ -z "$spacing" ] || awk "BEGIN{exit !(${r%% *} < ${spacing%% *})}"; then spacing=$r; fi
done
echo "spacing-only job (--spacing 0.1 0.1 0.15, order 1): wall, CPU s, RSS MiB = $spacing"
printf "%-7s %-5s %-9s %8s %8s %8s %10s  %8s %8s %8s %8s\n" transform order source wall_s cpu_s rss_MiB vs_spacing \
  scipy_s cpu_s rss_MiB ratio
for name in rot5z tilt5x turn90; do
  for order in 1 3; do
    best=""
    for _ in 1 2 3; do
      r=$(measure "$BIN" "$work/in.nii.gz" "$work/r.nii.gz" --affine "$work/$name.txt" --order "$order" --force --quiet)
      if [ -z "$best" ] || awk "BEGIN{exit !(${r%% *} < ${best%% *})}"; then best=$r; fi
    done
    source=$("$BIN" "$work/in.nii.gz" "$work/d.nii.gz" --affine "$work/$name.txt" --order "$order" --dry-run --json |
             "$PY" -c 'import json,sys; print(json.load(sys.stdin)["plan"]["general_input"])' 2>/dev/null || echo "?")
    if [ "$have_scipy" = 1 ]; then
      s=$(measure "$PY" bench/peers/scipy_affine.py "$work/in.nii.gz" "$work/s.nii.gz" "$work/$name.txt" "$order")
      ratio=$(awk "BEGIN{printf \"%.1fx\", ${s%% *} / ${best%% *}}")
    else
      s="- - -"; ratio="-"
    fi
    read -r w c m <<< "$best"
    read -r sw sc sm <<< "$s"
    vs=$(awk "BEGIN{printf \"%.2fx\", $w / ${spacing%% *}}")
    printf "%-7s %-5s %-9s %8s %8s %8s %10s  %8s %8s %8s %8s\n" "$name" "$order" "$source" "$w" "$c" "$m" "$vs" "$sw" "$sc" "$sm" "$ratio"
  done
done
