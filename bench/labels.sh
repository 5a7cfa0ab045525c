#!/usr/bin/env bash
# Label maps (--labels, issue 15): the cost of the vote with 10 and with
# 1000 labels on the same job, against --order 0 (nearest, which votes
# nothing) and against the one-indicator-per-label method (scipy, as ITK's
# GenericLabelInterpolator does it) on a volume it can hold, in one run:
#
#   bash bench/labels.sh [N] [NP]    (default 512: N^3 uint32 labels; NP = 96: the peer's volume)
#
# Volumes: respace_make_volume --pattern labels (cells of 8^3 voxels with wavy
# borders, IDs times 1000003 so they pass 2^24). Job: 0.1 -> 0.25 mm (k 2.5),
# .nii.gz. respace rows: --labels (auto: a Gaussian vote), --labels
# --antialias off (GenericLabel[Linear]), --labels --antialias box (the
# footprint mode), --order 0 (nearest, no vote). The peer runs under
# ulimit -v 16G on the NP^3 volume, against respace --labels --antialias off
# on the same.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-512}
NP=${2:-96}
PY=/usr/bin/python3
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
MK=build/release/bench/respace_make_volume
work=$(mktemp -d /tmp/respace-labels-XXXXXX)
trap 'rm -rf "$work"' EXIT
for L in 10 1000; do
  $MK "$work/l$L.nii.gz" "$N" "$N" "$N" --datatype uint32 --pattern labels --labels "$L" --label-scale 1000003 --spacing 0.1 >/dev/null
  $MK "$work/p$L.nii.gz" "$NP" "$NP" "$NP" --datatype uint32 --pattern labels --labels "$L" --label-scale 1000003 --spacing 0.1 >/dev/null
done
measure() {  # measure COMMAND... -> "wall cpu rss_mib"
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { echo "- - -"; return; }
  read -r wall user sys rss < "$work/t"
  echo "$wall $(awk "BEGIN{print $user+$sys}") $((rss / 1024))"
}
guarded=(bash -c 'ulimit -v $((16 << 20)) && exec "$@"' guarded)
echo "respace labels benchmark: ${N}^3 uint32 labels, 0.1 -> 0.25 mm, $(nproc) cores, $(date -I)"
printf "%-34s %8s %8s %8s | %8s %8s %8s | %9s\n" job 10:wall cpu rss 1000:wall cpu rss 1000/10
row() {  # row NAME ARGS...
  local name=$1; shift
  read -r w10 c10 m10 < <(measure "$BIN" "$work/l10.nii.gz" "$work/o.nii.gz" --spacing 0.25 0.25 0.25 --force --quiet "$@")
  read -r w1k c1k m1k < <(measure "$BIN" "$work/l1000.nii.gz" "$work/o.nii.gz" --spacing 0.25 0.25 0.25 --force --quiet "$@")
  printf "%-34s %8s %8s %8s | %8s %8s %8s | %9s\n" "$name" "$w10" "$c10" "$m10" "$w1k" "$c1k" "$m1k" \
    "$(awk "BEGIN{printf \"%.2fx\", $w1k / $w10}")"
}
row "respace --labels (gauss vote)" --labels
row "respace --labels --antialias off" --labels --antialias off
row "respace --labels --antialias box" --labels --antialias box
row "respace --order 0 (no vote)" --order 0
echo
echo "one indicator per label (scipy) against respace on ${NP}^3, 0.1 -> 0.25 mm, GenericLabel[Linear]:"
printf "%-34s %8s %8s %8s | %8s %8s %8s\n" method 10:wall cpu rss 1000:wall cpu rss
read -r a b c < <(measure "$BIN" "$work/p10.nii.gz" "$work/o.nii.gz" --spacing 0.25 0.25 0.25 --grid fov --labels --antialias off --force --quiet)
read -r d e f < <(measure "$BIN" "$work/p1000.nii.gz" "$work/o.nii.gz" --spacing 0.25 0.25 0.25 --grid fov --labels --antialias off --force --quiet)
printf "%-34s %8s %8s %8s | %8s %8s %8s\n" "respace --labels --antialias off" "$a" "$b" "$c" "$d" "$e" "$f"
read -r a b c < <(measure "${guarded[@]}" "$PY" bench/peers/scipy_labels.py "$work/p10.nii.gz" "$work/s.nii.gz" 2.5)
read -r d e f < <(measure "${guarded[@]}" "$PY" bench/peers/scipy_labels.py "$work/p1000.nii.gz" "$work/s.nii.gz" 2.5)
printf "%-34s %8s %8s %8s | %8s %8s %8s\n" "scipy, one indicator per label" "$a" "$b" "$c" "$d" "$e" "$f"
