#!/usr/bin/env bash
# A label volume the size of a 100 um whole brain (1400 x 1550 x 1200
# uint32, 3000 labels with IDs past 2^24, made here with --pattern labels)
# shrunk to 0.5 mm (k = 5) with --labels under the default memory limit
# (issue 15): the default (auto: a Gaussian vote) and --antialias off
# (GenericLabel[Linear]).
#
#   bash bench/whole_brain_labels.sh [NX NY NZ]
set -euo pipefail
cd "$(dirname "$0")/.."
NX=${1:-1400} NY=${2:-1550} NZ=${3:-1200}
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
mkdir -p build/bench-data
in=build/bench-data/labels_${NX}x${NY}x${NZ}_uint32.nii.gz
[ -f "$in" ] || build/release/bench/respace_make_volume "$in" "$NX" "$NY" "$NZ" --datatype uint32 \
  --spacing 0.1 --pattern labels --labels 3000 --label-scale 1000003
work=$(mktemp -d /tmp/respace-brainl-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "whole-brain labels: ${NX} x ${NY} x ${NZ} uint32 at 0.1 mm ($(du -h "$in" | cut -f1) gz), $(nproc) cores, $(date -I)"
printf "%-24s %8s %8s %8s  %s\n" job wall_s cpu_s rss_MiB plan
for aa in auto off; do
  plan=$("$BIN" "$in" "$work/o_$aa.nii.gz" --spacing 0.5 0.5 0.5 --labels --antialias "$aa" --dry-run | grep -E "^Memory:" | cut -c10-)
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$BIN" "$in" "$work/o_$aa.nii.gz" --spacing 0.5 0.5 0.5 --labels --antialias "$aa" --quiet
  read -r wall user sys rss < "$work/t"
  printf "%-24s %8s %8s %8s  %s\n" "--labels --antialias $aa" "$wall" "$(awk "BEGIN{print $user+$sys}")" $((rss / 1024)) "$plan"
done
