#!/usr/bin/env bash
# Which engine and level the default compression should use (issue 18):
# every engine at several levels on float32, int16 and uint8 outputs, in
# one run on one machine.
#
#   bash bench/gzip_engines.sh [DIM]      (default 384: DIM x DIM x 5/6 DIM)
#
# The inputs are made once into build/bench-data by respace_make_volume
# (pattern "specimen": noisy tissue in a zero background, compressing like
# real data) at 0.1 mm; each run resamples to 0.1 x 0.1 x 0.15 mm, the
# throughput benchmark's job. Printed per type and setting: wall s, CPU s
# (the whole job: inflate, resample, deflate), output size, and the size
# over zlib level 6's. The pick, per type: the least CPU among the settings
# within 2% of zlib 6's size, which is the default's rule
# (io/gzip_codec.hpp). Every output is checked against the raw output's
# bytes (gzip -dc | cmp).
set -euo pipefail
cd "$(dirname "$0")/.."
DIM=${1:-384}
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
MK=build/release/bench/respace_make_volume
DATA=build/bench-data
WORK=$(mktemp -d /tmp/respace-gzbench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DATA"
ZDIM=$((DIM * 5 / 6))

SETTINGS="zlib:1 zlib:2 zlib:6 isal:1 isal:3 isal:6 libdeflate:1 libdeflate:2 libdeflate:4 libdeflate:6"
echo "respace gzip engines, $(date -I), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for dt in float32 int16 uint8; do
  in="$DATA/gz_${DIM}_$dt.nii.gz"
  [ -f "$in" ] || $MK "$in" "$DIM" "$DIM" "$ZDIM" --datatype "$dt" --pattern specimen --spacing 0.1 --level 6
  $BIN "$in" "$WORK/raw.nii" --spacing 0.1 0.1 0.15 --force --quiet
  echo
  echo "### $dt: $DIM x $DIM x $ZDIM -> 0.1 x 0.1 x 0.15 mm, $(awk "BEGIN{printf \"%.1f\", $(stat -c %s "$WORK/raw.nii") / 1e6}") MB raw output"
  echo
  printf "| %-14s | %6s | %6s | %9s | %7s |\n" setting "wall s" "CPU s" "out MB" "/ zlib 6"
  printf "| %-14s | %6s | %6s | %9s | %7s |\n" --- --- --- --- ---
  : > "$WORK/rows"
  for s in $SETTINGS; do
    e=${s%:*}; l=${s#*:}
    out="$WORK/$e$l.nii.gz"
    if ! /usr/bin/time -f "%e %U %S" -o "$WORK/time" $BIN "$in" "$out" --spacing 0.1 0.1 0.15 --force --quiet \
         --gzip-engine "$e" --compression-level "$l" 2>/dev/null; then
      echo "| $e $l: not built |"; continue
    fi
    cmp -s <(gzip -dc "$out") "$WORK/raw.nii" || { echo "$e $l: output differs from the raw output" >&2; exit 1; }
    read -r wall user sys < "$WORK/time"
    echo "$e $l $wall $(awk "BEGIN{print $user + $sys}") $(stat -c %s "$out")" >> "$WORK/rows"
  done
  z6=$(awk '$1 == "zlib" && $2 == 6 {print $5}' "$WORK/rows")
  awk -v z6="$z6" '{printf "| %-14s | %6.2f | %6.2f | %9.2f | %7.4f |\n", $1 " " $2, $3, $4, $5 / 1e6, $5 / z6}' "$WORK/rows"
  awk -v z6="$z6" '$5 <= 1.02 * z6 && (best == "" || $4 < cpu) {best = $1 " level " $2; cpu = $4; r = $5 / z6}
    END {printf "\npick for %s: %s (%.2f CPU s, %.4f x zlib 6)\n", "'"$dt"'", best, cpu, r}' "$WORK/rows"
done
