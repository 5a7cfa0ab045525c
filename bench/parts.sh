#!/usr/bin/env bash
# One volume in parts (--part K/N, respace join, respace index): what the
# split costs against the single run, on this machine, parts run one after
# the other (each with the machine's cores, as each would on a node of its
# own).
#
#   bash bench/parts.sh [--size N] [--parts "4 16"] [--span 64M]
#
# Default: the 1024^3 float32 volume of bench/throughput.sh --large
# (build/bench-data/c1024.nii.gz, made once), to 0.1 x 0.1 x 0.15 mm at
# order 3 (a cubic B-spline: z halos of 23 planes each side). Prints:
#   - the single run (wall, CPU);
#   - respace index: build time and size;
#   - per part count, with the index and without: every part's wall and
#     CPU, the sum of the parts' CPU over the single run's (the overhead of
#     halos, dictionaries, inflating up to the planes and the process
#     starts), the slowest part, the join's wall; the joined file compared
#     with the single run's (cmp);
#   - what would limit 100 parts, from these figures.
set -euo pipefail
cd "$(dirname "$0")/.."
N=1024
PARTS="4 16"
SPAN=64M
while [ $# -gt 0 ]; do
  case "$1" in
    --size) N=$2; shift ;;
    --parts) PARTS=$2; shift ;;
    --span) SPAN=$2; shift ;;
    *) echo "usage: bench/parts.sh [--size N] [--parts LIST] [--span SIZE]" >&2; exit 2 ;;
  esac
  shift
done
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
MK=build/release/bench/respace_make_volume
DATA=build/bench-data
mkdir -p "$DATA"
WORK=$(mktemp -d /tmp/respace-parts-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
in="$DATA/c$N.nii.gz"
[ -f "$in" ] || $MK "$in" "$N" "$N" "$N" --datatype float32 --pattern specimen --spacing 0.1 --level 6 >/dev/null
JOB=(--spacing 0.1 0.1 0.15 --order 3)

measure() {  # measure CMD... -> WALL CPU
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" >/dev/null
  read -r WALL user sys < "$WORK/time"
  CPU=$(awk "BEGIN{printf \"%.2f\", $user + $sys}")
}

echo "respace parts benchmark, $(date -I), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "input: $in ($(awk "BEGIN{printf \"%.0f\", $(stat -c %s "$in") / 1e6}") MB), job: ${JOB[*]}"
measure "$BIN" "$in" "$WORK/single.nii.gz" "${JOB[@]}" --force --quiet
single_wall=$WALL single_cpu=$CPU
echo "single run: wall $single_wall s, CPU $single_cpu s, output $(stat -c %s "$WORK/single.nii.gz") bytes"

index="$WORK/in.respace-index"
measure "$BIN" index "$in" --output "$index" --span "$SPAN" --force
points=$("$BIN" index "$in" --output "$index" --span "$SPAN" --force --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["points"])')
echo "index (--span $SPAN): built in $WALL s (CPU $CPU s), $points points, $(stat -c %s "$index") bytes"
index_wall=$WALL

for P in $PARTS; do
  for mode in index none; do
    idx=()
    [ "$mode" = index ] && idx=(--index "$index")
    sum=0 slowest=0
    walls=""
    for k in $(seq "$P"); do
      measure "$BIN" "$in" "$WORK/p$k.rsp" "${JOB[@]}" --part "$k/$P" "${idx[@]}" --force --quiet
      sum=$(awk "BEGIN{print $sum + $CPU}")
      slowest=$(awk "BEGIN{print ($WALL > $slowest) ? $WALL : $slowest}")
      walls="$walls $WALL"
    done
    parts=()
    for k in $(seq "$P"); do parts+=("$WORK/p$k.rsp"); done
    measure "$BIN" join "$WORK/joined.nii.gz" "${parts[@]}" --force
    join_wall=$WALL
    same=$(cmp -s "$WORK/single.nii.gz" "$WORK/joined.nii.gz" && echo "identical" || echo "DIFFERENT")
    printf "%3d parts, %-5s: CPU of all parts %7.2f s = %.2fx the single run; slowest part %6.2f s (%.1fx faster than the single run on %d machines); join %5.2f s; joined file %s\n" \
      "$P" "$mode" "$sum" "$(awk "BEGIN{print $sum / $single_cpu}")" "$slowest" \
      "$(awk "BEGIN{print $single_wall / ($slowest + $join_wall)}")" "$P" "$join_wall" "$same"
    echo "           part walls (s):$walls"
    [ "$same" = identical ] || exit 1
    rm -f "$WORK"/p*.rsp "$WORK/joined.nii.gz"
  done
done

# 100 parts, from the figures above and the plan of part 50 of 100 (a middle
# one: halos on both sides).
plan=$("$BIN" "$in" "$WORK/x.rsp" "${JOB[@]}" --part 50/100 --index "$index" --dry-run --json)
read -r stream chunks in_planes < <(echo "$plan" | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)["part"]
print(p["stream_bytes"], p["chunks"][1] - p["chunks"][0], p["input_planes"][1] - p["input_planes"][0])')
span_bytes=$(/usr/bin/python3 -c "
s = '$SPAN'; m = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
print(int(float(s[:-1]) * m[s[-1].upper()]) if s[-1].upper() in m else int(s))")
echo "100 parts (from the plan of part 50/100): a stream of $stream bytes, $chunks chunks of 512 KiB per part;"
echo "  each part reads $in_planes input planes ($((in_planes * N * N * 4 / 1048576)) MiB; its own output planes need about $((N / 100)), the rest are halos)"
echo "  and inflates on average half a span"
echo "  ($((span_bytes / 2 / 1048576)) MiB with --span $SPAN) before them: a span near a part's own input or below keeps that"
echo "  small (respace index --span 8M); each part also starts a process and plans (in the figures above), and the"
echo "  join copies the compressed output once."
