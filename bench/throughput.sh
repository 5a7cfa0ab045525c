#!/usr/bin/env bash
# Throughput against the floors and the peers, in one run on one machine.
#
#   bash bench/throughput.sh [--large] [--no-peers] [--cases "c512 c768"]
#
# Cases (made once into build/bench-data by respace_make_volume, pattern
# "specimen": noisy tissue in a zero background, compressing like real data):
#   c512   512^3 float32 at 0.1 mm                      -> 0.1 x 0.1 x 0.15 mm
#   c768   768 x 768 x 640 int16 at 0.1 mm              -> 0.1 x 0.1 x 0.15 mm
#   c1024  1024^3 float32 at 0.1 mm (only with --large) -> 0.1 x 0.1 x 0.15 mm
#   brain  1400 x 1550 x 1200 uint16 at 0.1 mm, the size of a 100 um whole
#          brain (bench/whole_brain.sh's volume; only when named in --cases)
#                                                       -> 0.15 mm isotropic
#          Peers: ITK alone, under ulimit -v 20G (nibabel + scipy and mrgrid
#          would hold 20 GB and more of float copies on this machine)
#   brain02  the same volume -> 0.2 mm isotropic
#   brainf   1400 x 1550 x 1200 float32 (10.4 GB of voxels) -> 0.15 mm; no
#          peers (ITK would hold about 25 GB)
#
# For each case it measures, printing wall s, CPU s, peak RSS and size:
#   floors   inflate of the input alone (pigz -dc: zlib; igzip -dc: ISA-L) and
#            parallel deflate of the output's raw bytes (pigz -6 -p 2; igzip -3
#            -T 2): the work any resampler must do for .nii.gz in and out
#   respace  default compression (ISA-L 1 for float output, libdeflate 2 for
#            integer output; io/gzip_codec.hpp) and --gzip-engine zlib level 6
#   peers    nibabel + scipy (bench/peers/nibabel_scipy.py), MRtrix3 mrgrid,
#            ITK ResampleImageFilter (bench/peers/itk), each when installed
#            (bash bench/setup_peers.sh installs them)
# and the ratios: respace wall / two-core floor ((inflate CPU + deflate CPU)/2)
# per engine, peer wall / respace wall, output size / ITK's.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="c512 c768"
PEERS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --large) CASES="$CASES c1024" ;;
    --no-peers) PEERS=0 ;;
    --cases) CASES="$2"; shift ;;
    *) echo "usage: bench/throughput.sh [--large] [--no-peers] [--cases LIST]" >&2; exit 2 ;;
  esac
  shift
done
PY=/usr/bin/python3
bash scripts/build.sh release >/dev/null
BIN=build/release/cli/respace
MK=build/release/bench/respace_make_volume
DATA=build/bench-data
WORK=$(mktemp -d /tmp/respace-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DATA"

ITK_BIN=""
if [ "$PEERS" = 1 ] && ls -d /usr/lib/cmake/ITK-5* >/dev/null 2>&1; then
  cmake -S bench/peers/itk -B build/bench-itk -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build build/bench-itk -j"$(nproc)" >/dev/null && ITK_BIN=build/bench-itk/itk_resample
fi

# measure NAME CMD... : runs CMD, prints a row, sets WALL CPU RSS
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" || { echo "$name failed" >&2; return 1; }
  read -r WALL user sys RSS < "$WORK/time"
  CPU=$(awk "BEGIN{printf \"%.2f\", $user + $sys}")
  RSS=$((RSS / 1024))
}
row() {  # name wall cpu rss size note
  printf "| %-34s | %7s | %7s | %7s | %10s | %s\n" "$1" "$2" "$3" "$4" "$5" "$6"
}
size_mb() { awk "BEGIN{printf \"%.1f\", $(stat -c %s "$1") / 1e6}"; }

echo "respace throughput benchmark, $(date -I), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for c in $CASES; do
  case $c in
    c512) dims="512 512 512"; dt=float32 ;;
    c768) dims="768 768 640"; dt=int16 ;;
    c1024) dims="1024 1024 1024"; dt=float32 ;;
    brain|brain02) dims="1400 1550 1200"; dt=uint16 ;;
    brainf) dims="1400 1550 1200"; dt=float32 ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
  TGT="0.1 0.1 0.15"
  in="$DATA/$c.nii.gz"
  case $c in
    brain|brain02)
      TGT="0.15 0.15 0.15"; [ "$c" = brain02 ] && TGT="0.2 0.2 0.2"
      in="$DATA/brain_1400x1550x1200_uint16.nii.gz"  # as bench/whole_brain.sh makes it
      [ -f "$in" ] || $MK "$in" 1400 1550 1200 --datatype uint16 --spacing 0.1 --pattern specimen ;;
    brainf) TGT="0.15 0.15 0.15" ;;
  esac
  # shellcheck disable=SC2086
  [ -f "$in" ] || $MK "$in" $dims --datatype "$dt" --pattern specimen --spacing 0.1 --level 6
  echo
  echo "### $c: $dims $dt, $(size_mb "$in") MB gz -> $TGT mm"
  echo
  row "step" "wall s" "CPU s" "RSS MiB" "out MB" "ratio"
  row "---" "---" "---" "---" "---" "---"
  # The output's raw bytes, for the deflate floors (and a correctness check).
  $BIN "$in" "$WORK/out.nii" --spacing $TGT --force --quiet
  measure "inflate zlib" sh -c "pigz -dc '$in' > /dev/null"; inz=$CPU
  row "floor: inflate input, zlib (pigz -dc)" "$WALL" "$CPU" "$RSS" "" ""
  measure "inflate isal" sh -c "igzip -dc '$in' > /dev/null"; ini=$CPU
  row "floor: inflate input, ISA-L (igzip -dc)" "$WALL" "$CPU" "$RSS" "" ""
  measure "deflate zlib" sh -c "pigz -6 -p $(nproc) -c '$WORK/out.nii' > '$WORK/floor.gz'"; dez=$CPU
  row "floor: deflate output, zlib 6 (pigz)" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/floor.gz")" ""
  measure "deflate isal" sh -c "igzip -3 -T $(nproc) -c '$WORK/out.nii' > '$WORK/floor.gz'"; dei=$CPU
  row "floor: deflate output, ISA-L 3 (igzip)" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/floor.gz")" ""
  floor_z=$(awk "BEGIN{printf \"%.2f\", ($inz + $dez) / 2}")
  floor_i=$(awk "BEGIN{printf \"%.2f\", ($ini + $dei) / 2}")
  row "two-core floor, zlib" "$floor_z" "" "" "" ""
  row "two-core floor, ISA-L" "$floor_i" "" "" "" ""

  measure respace $BIN "$in" "$WORK/r.nii.gz" --spacing $TGT --force --quiet
  r_wall=$WALL; r_size=$(stat -c %s "$WORK/r.nii.gz")
  cmp -s <(gzip -dc "$WORK/r.nii.gz") "$WORK/out.nii" || { echo "respace default output differs from the raw output" >&2; exit 1; }
  row "respace (default compression)" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/r.nii.gz")" \
    "$(awk "BEGIN{printf \"%.2fx ISA-L floor, %.2fx zlib floor\", $WALL / $floor_i, $WALL / $floor_z}")"
  measure respace-zlib $BIN "$in" "$WORK/rz.nii.gz" --spacing $TGT --force --quiet --gzip-engine zlib --compression-level 6
  cmp -s <(gzip -dc "$WORK/rz.nii.gz") "$WORK/out.nii" || { echo "respace zlib output differs from the raw output" >&2; exit 1; }
  row "respace --gzip-engine zlib, level 6" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/rz.nii.gz")" \
    "$(awk "BEGIN{printf \"%.2fx zlib floor\", $WALL / $floor_z}")"
  for t in 1 2; do
    cmp -s <($BIN "$in" "$WORK/t$t.nii.gz" --spacing $TGT --force --quiet --threads "$t" && cat "$WORK/t$t.nii.gz") "$WORK/r.nii.gz" ||
      { echo "output bytes differ with --threads $t" >&2; exit 1; }
  done
  row "(output bytes identical for --threads 1, 2, default)" "" "" "" "" ""

  itk_size=""
  if [ "$PEERS" = 1 ]; then
    if [ -n "$ITK_BIN" ] && [ "$c" != brainf ]; then
      # shellcheck disable=SC2086
      measure itk sh -c "ulimit -v $((20 << 20)); exec $ITK_BIN '$in' '$WORK/itk.nii.gz' $TGT"
      itk_size=$(stat -c %s "$WORK/itk.nii.gz")
      row "ITK 5.2 ResampleImageFilter (linear)" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/itk.nii.gz")" \
        "$(awk "BEGIN{printf \"%.1fx respace\", $WALL / $r_wall}")"
    fi
    if [ "${c#brain}" = "$c" ] && command -v mrgrid >/dev/null; then
      measure mrgrid mrgrid "$in" regrid -voxel "${TGT// /,}" -interp linear "$WORK/mr.nii.gz" -force -quiet
      row "MRtrix3 mrgrid regrid (linear)" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/mr.nii.gz")" \
        "$(awk "BEGIN{printf \"%.1fx respace\", $WALL / $r_wall}")"
    fi
    if [ "${c#brain}" = "$c" ] && $PY -c "import nibabel, scipy" 2>/dev/null; then
      # shellcheck disable=SC2086
      measure nibabel $PY bench/peers/nibabel_scipy.py "$in" "$WORK/nb.nii.gz" $TGT
      row "nibabel + scipy.ndimage.zoom (order 1)" "$WALL" "$CPU" "$RSS" "$(size_mb "$WORK/nb.nii.gz")" \
        "$(awk "BEGIN{printf \"%.1fx respace\", $WALL / $r_wall}")"
    fi
  fi
  if [ -n "$itk_size" ]; then
    row "respace output size / ITK's" "" "" "" "" "$(awk "BEGIN{printf \"%.3f\", $r_size / $itk_size}")"
  fi
done
