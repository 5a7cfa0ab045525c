#!/usr/bin/env bash
# The cost of each interpolation order relative to order 1, on one volume.
#
#   bash bench/orders.sh [N] [THREADS]     (default 256^3 float32, all cores)
#
# Makes an N^3 float32 volume at 0.1 mm, resamples it to 0.15 mm with
# --order 0..3, to .nii (no compression: the resampling alone) and to .nii.gz
# (the whole job), and prints wall and CPU seconds, peak RSS, and the ratio
# to order 1. Each run is repeated 3 times; the fastest wall time is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-256}
THREADS=${2:-0}
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/release/bench/respace_make_volume "$work/in.nii.gz" "$N" "$N" "$N" --spacing 0.1

run() {  # run ORDER EXT -> "wall cpu rss_mib"
  local best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$BIN" "$work/in.nii.gz" "$work/out.$2" \
      --spacing 0.15 0.15 0.15 --order "$1" --threads "$THREADS" --force --quiet
    read -r wall user sys rss < "$work/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < ${best%% *})}"; then
      best="$wall $(awk "BEGIN{print $user+$sys}") $((rss / 1024))"
    fi
  done
  echo "$best"
}

echo "respace orders benchmark: ${N}^3 float32, 0.1 -> 0.15 mm, threads=${THREADS} (0 = all), $(nproc) cores, $(date -I)"
printf "%-6s %-7s %8s %8s %8s %10s\n" output order wall_s cpu_s rss_MiB vs_order1
for ext in nii nii.gz; do
  declare -A wall=()
  for order in 1 0 2 3; do
    read -r w c r < <(run "$order" "$ext")
    wall[$order]=$w
    printf "%-6s %-7s %8s %8s %8s %10s\n" "$ext" "$order" "$w" "$c" "$r" \
      "$(awk "BEGIN{printf \"%.2fx\", $w / ${wall[1]}}")"
  done
done
