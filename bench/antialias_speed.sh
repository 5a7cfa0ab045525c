#!/usr/bin/env bash
# The cost of --antialias gauss against off, and against the peers on the
# same job (issue 14), in one run on one machine:
#
#   bash bench/antialias_speed.sh [N]     (default 512: N^3 float32 at 0.1 mm)
#
# Shrinks the volume by k = 2, 4 and 10 (to 0.2, 0.4 and 1 mm) into .nii.gz:
#   respace --antialias off, and gauss (the default auto is gauss at these k)
#   scikit-image rescale(order=1, anti_aliasing=True), through nibabel
#     (bench/peers/skimage_rescale.py; Debian python3-skimage)
#   MRtrix3 mrgrid regrid -voxel (Debian mrtrix3)
# and prints wall and CPU seconds, peak RSS, and the ratios gauss/off and
# peer/gauss. The peers load the whole volume: each runs under ulimit -v
# (16 GiB), so a peer that needs more fails instead of taking the machine
# down. A peer that is not installed is left out (bash bench/setup_peers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-512}
PY=/usr/bin/python3
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
work=$(mktemp -d /tmp/respace-aa-speed-XXXXXX)
trap 'rm -rf "$work"' EXIT
build/release/bench/respace_make_volume "$work/in.nii.gz" "$N" "$N" "$N" --spacing 0.1 --pattern specimen >/dev/null

measure() {  # measure COMMAND... -> "wall cpu rss_mib", or "- - -" when it fails
  if /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null 2>"$work/err"; then
    read -r wall user sys rss < "$work/t"
    echo "$wall $(awk "BEGIN{print $user+$sys}") $((rss / 1024))"
  else
    echo "- - -"
  fi
}
guarded=(bash -c 'ulimit -v $((16 << 20)) && exec "$@"' guarded)  # a prefix: time measures the peer
have_skimage=1; "$PY" -c "import skimage, nibabel" 2>/dev/null || have_skimage=0
have_mrgrid=1; command -v mrgrid >/dev/null || have_mrgrid=0

echo "respace antialias benchmark: ${N}^3 float32 (specimen) at 0.1 mm, $(nproc) cores, $(date -I)"
printf "%-4s %-16s %8s %8s %8s %10s\n" k method wall_s cpu_s rss_MiB ratio
for k in 2 4 10; do
  s=$(awk "BEGIN{print 0.1 * $k}")
  read -r ow oc om < <(measure "$BIN" "$work/in.nii.gz" "$work/off.nii.gz" --spacing "$s" "$s" "$s" --antialias off --force --quiet)
  printf "%-4s %-16s %8s %8s %8s %10s\n" "$k" "respace off" "$ow" "$oc" "$om" ""
  read -r gw gc gm < <(measure "$BIN" "$work/in.nii.gz" "$work/g.nii.gz" --spacing "$s" "$s" "$s" --antialias gauss --force --quiet)
  printf "%-4s %-16s %8s %8s %8s %10s\n" "$k" "respace gauss" "$gw" "$gc" "$gm" "$(awk "BEGIN{printf \"%.2fx off\", $gw / $ow}")"
  if [ "$have_skimage" = 1 ]; then
    read -r w c m < <(measure "${guarded[@]}" "$PY" bench/peers/skimage_rescale.py "$work/in.nii.gz" "$work/sk.nii.gz" "$k")
    r=$([ "$w" = - ] && echo failed || awk "BEGIN{printf \"%.1fx gauss\", $w / $gw}")
    printf "%-4s %-16s %8s %8s %8s %10s\n" "$k" "skimage rescale" "$w" "$c" "$m" "$r"
  fi
  if [ "$have_mrgrid" = 1 ]; then
    read -r w c m < <(measure "${guarded[@]}" mrgrid "$work/in.nii.gz" regrid "$work/mr.nii.gz" -voxel "$s" -interp linear -force -quiet)
    r=$([ "$w" = - ] && echo failed || awk "BEGIN{printf \"%.1fx gauss\", $w / $gw}")
    printf "%-4s %-16s %8s %8s %8s %10s\n" "$k" "mrgrid regrid" "$w" "$c" "$m" "$r"
  fi
done
[ "$have_skimage" = 1 ] || echo "note: scikit-image not installed: left out"
[ "$have_mrgrid" = 1 ] || echo "note: mrgrid not installed: left out"
