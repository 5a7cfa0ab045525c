#!/usr/bin/env bash
# Are two respace binaries byte-for-byte the same on every benchmark and
# conformance case? For refactors that must not change behaviour (issue 13).
#
#   bash bench/same_outputs.sh OLD_RESPACE NEW_RESPACE [N] [R]
#     N: the orders/affine volume edge (default 256); R: runs per case and
#     binary, alternating, the fastest kept (default 3)
#
# Runs the command lines of bench/throughput.sh (c512 and c768, default and
# zlib 6; threads 1 and 2), bench/affine.sh (rot5z, tilt5x, turn90 x orders
# 1, 3, at N and, for the temporary-file source, turn90 at 384) and
# bench/orders.sh (orders 0-3 to .nii and .nii.gz) with both binaries, and
# every conformance script (tests/conformance/check_*.py) once per binary
# into its own workdir; then compares the sha256 of every output file of the
# same name. Prints each difference, the count compared and peak RSS / wall
# time of the bench runs side by side; exits 1 on any difference. Run it
# from a checkout you do not edit meanwhile (bash reads scripts as it goes).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$(readlink -f "$1") NEW=$(readlink -f "$2") N=${3:-256} R=${4:-3}
MK=build/release/bench/respace_make_volume
PY=/usr/bin/python3
bash scripts/build.sh release >/dev/null
work=$(mktemp -d /tmp/respace-same-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/old" "$work/new"

$MK "$work/in/c512.nii.gz" 512 512 512 --spacing 0.1 --pattern specimen >/dev/null
$MK "$work/in/c768.nii.gz" 768 768 640 --spacing 0.1 --pattern specimen --datatype int16 >/dev/null
$MK "$work/in/cube.nii.gz" "$N" "$N" "$N" --spacing 0.1 >/dev/null
$MK "$work/in/spec.nii.gz" "$N" "$N" "$N" --spacing 0.1 --pattern specimen >/dev/null
$MK "$work/in/spec384.nii.gz" 384 384 384 --spacing 0.1 --pattern specimen >/dev/null
for name in rot5z tilt5x turn90; do
  for n in "$N" 384; do bash bench/make_transform.sh "$name" "$n" > "$work/in/$name-$n.txt"; done
done

# case NAME ARGS...: the same command line with each binary; the output is
# $work/{old,new}/NAME.<ext> (ext from the name's suffix after the last _).
cases=()
add() { cases+=("$*"); }
for c in c512 c768; do
  for t in 1 2; do
    add "tp_${c}_t$t.nii.gz" "$work/in/$c.nii.gz" --spacing 0.1 0.1 0.15 --threads $t
    add "tp_${c}_zlib_t$t.nii.gz" "$work/in/$c.nii.gz" --spacing 0.1 0.1 0.15 --threads $t --gzip-engine zlib --compression-level 6
  done
  add "tp_${c}_raw.nii" "$work/in/$c.nii.gz" --spacing 0.1 0.1 0.15
done
for name in rot5z tilt5x turn90; do
  for order in 1 3; do
    add "af_${name}_o$order.nii.gz" "$work/in/spec.nii.gz" --affine "$work/in/$name-$N.txt" --order $order
  done
done
add "af_turn90_384_o1.nii.gz" "$work/in/spec384.nii.gz" --affine "$work/in/turn90-384.txt" --order 1
add "af_turn90_384_o3_lim.nii.gz" "$work/in/spec384.nii.gz" --affine "$work/in/turn90-384.txt" --order 3 --memory-limit 128M
for ext in nii nii.gz; do
  for order in 0 1 2 3; do
    add "or_o$order.$ext" "$work/in/cube.nii.gz" --spacing 0.15 0.15 0.15 --order $order
  done
done

printf "%-32s %9s %9s %9s %9s %9s\n" case old_s new_s new/old old_MiB new_MiB
for line in "${cases[@]}"; do
  read -r -a a <<< "$line"
  name=${a[0]}
  declare -A wall=() rss=()
  for _ in $(seq "$R"); do
    for side in old new; do
      bin=$OLD; [ $side = new ] && bin=$NEW
      /usr/bin/time -f "%e %M" -o "$work/t" "$bin" "${a[@]:1:1}" "$work/$side/$name" "${a[@]:2}" --force --quiet
      read -r w m < "$work/t"
      if [ -z "${wall[$side]:-}" ] || awk "BEGIN{exit !($w < ${wall[$side]})}"; then wall[$side]=$w; fi
      rss[$side]=$m
    done
  done
  printf "%-32s %9s %9s %9s %9s %9s\n" "$name" "${wall[old]}" "${wall[new]}" \
    "$(awk "BEGIN{printf \"%.3f\", ${wall[new]} / ${wall[old]}}")" $((rss[old] / 1024)) $((rss[new] / 1024))
done

for s in tests/conformance/check_*.py; do
  base=$(basename "$s" .py)
  for side in old new; do
    bin=$OLD; [ $side = new ] && bin=$NEW
    "$PY" "$s" --respace "$bin" --workdir "$work/conf-$side/$base" > "$work/$base.$side.log" 2>&1 ||
      echo "note: $base with the $side binary did not pass (see its log)"
    tail -1 "$work/$base.$side.log" | sed "s/^/$base $side: /"
  done
done

# same OLD NEW: the same bytes; or, for a .gz the conformance scripts wrote
# themselves (Python's gzip stamps the time), the same bytes inflated.
compared=0 differ=0 inflated=0
same() {
  [ -f "$2" ] || return 1
  [ "$(sha256sum < "$1")" = "$(sha256sum < "$2")" ] && return 0
  case "$1" in
    */conf-old/*.gz)
      if [ "$(gzip -dc < "$1" | sha256sum)" = "$(gzip -dc < "$2" | sha256sum)" ]; then
        inflated=$((inflated + 1)); return 0
      fi ;;
  esac
  return 1
}
while IFS= read -r f; do
  g=${f/\/old\//\/new\/}
  g=${g/\/conf-old\//\/conf-new\/}
  compared=$((compared + 1))
  same "$f" "$g" || { echo "DIFFERENT: ${f#"$work/"}"; differ=$((differ + 1)); }
done < <({ find "$work/old" -type f; find "$work/conf-old" -type f \( -name '*.nii' -o -name '*.nii.gz' -o -name '*.hdr' \
            -o -name '*.img' -o -name '*.img.gz' -o -name '*.hdr.gz' \); } | sort)
echo "$compared output files compared by sha256, $differ different ($inflated .gz written by the scripts compared inflated)"
[ "$differ" = 0 ]
