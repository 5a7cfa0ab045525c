#!/usr/bin/env bash
# A volume the size of a 100 um whole brain (1400 x 1550 x 1200 uint16,
# 4.9 GiB of voxels, made here with --pattern specimen) shrunk to 1 mm
# (k = 10, --antialias auto: a Gaussian of sigma 4.2 input voxels on every
# axis) and to 0.2 mm (k = 2), under the default memory limit (issue 14):
#
#   bash bench/whole_brain.sh [NX NY NZ]
#
# Prints wall and CPU seconds and peak RSS of each run. The input is made
# once into build/bench-data (about 2 GB of gzip).
set -euo pipefail
cd "$(dirname "$0")/.."
NX=${1:-1400} NY=${2:-1550} NZ=${3:-1200}
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
mkdir -p build/bench-data
in=build/bench-data/brain_${NX}x${NY}x${NZ}_uint16.nii.gz
[ -f "$in" ] || build/release/bench/respace_make_volume "$in" "$NX" "$NY" "$NZ" --datatype uint16 \
  --spacing 0.1 --pattern specimen
work=$(mktemp -d /tmp/respace-brain-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "whole-brain benchmark: ${NX} x ${NY} x ${NZ} uint16 at 0.1 mm ($(du -h "$in" | cut -f1) gz), $(nproc) cores, $(date -I)"
printf "%-8s %8s %8s %8s  %s\n" spacing wall_s cpu_s rss_MiB plan
for s in 1 0.2; do
  plan=$("$BIN" "$in" "$work/out_$s.nii.gz" --spacing "$s" "$s" "$s" --dry-run | grep -E "^Memory:" | cut -c10-)
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$BIN" "$in" "$work/out_$s.nii.gz" --spacing "$s" "$s" "$s" --quiet
  read -r wall user sys rss < "$work/t"
  printf "%-8s %8s %8s %8s  %s\n" "$s" "$wall" "$(awk "BEGIN{print $user+$sys}")" $((rss / 1024)) "$plan"
done
