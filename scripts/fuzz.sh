#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets with clang (ASan + UBSan),
# replays every saved regression input, then fuzzes each target for SECONDS
# (default 60) from its seed corpus: tests/fuzz/seeds/<target>/ (committed)
# plus, for the readers, small valid volumes made here. A crash leaves its
# input in build/fuzz/crashes/ (copy it into tests/fuzz/regressions/<target>/
# with the fix) and fails the script. Each target's run time and executions
# are printed (stat::number_of_executed_units). An input that runs 60 s is a
# hang and fails the script (-timeout=60); slower inputs below that are not
# written out (-report_slow_units=60: libFuzzer's default of 10 s would save
# them into crashes/ and fail the run), because planning tables of millions
# of rows, or a Gaussian of radius 16386 folded over a 512-sample axis,
# legitimately takes 1 s in Release and 15-40 s under ASan with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRESPACE_FUZZ=ON -DRESPACE_TESTS=OFF >/dev/null
cmake --build build/fuzz -j"$(nproc)" --target fuzz_header fuzz_stream fuzz_planner fuzz_index respace_make_volume
mkdir -p build/fuzz/crashes build/fuzz/seeds
made=build/fuzz/seeds
# Made seeds for the readers: small valid volumes, raw and gzip.
MK=build/fuzz/bench/respace_make_volume
[ -f $made/a.nii ] || {
  $MK $made/a.nii 4 3 2 --datatype int16 2>/dev/null
  $MK $made/b.nii.gz 5 4 3 --datatype float32 2>/dev/null
  $MK $made/c.nii.gz 3 3 3 --datatype uint8 --pattern noise 2>/dev/null
}
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
for t in header stream planner index; do
  echo "== fuzz_$t: regressions"
  regress=(tests/fuzz/regressions/$t/*)
  if [ -e "${regress[0]}" ]; then build/fuzz/tests/fuzz/fuzz_$t "${regress[@]}"; fi
  echo "== fuzz_$t: ${SECONDS_EACH}s"
  corpus=build/fuzz/corpus_$t
  mkdir -p "$corpus"
  seeds=(tests/fuzz/seeds/$t)
  [ "$t" = planner ] || seeds+=("$made")
  start=$(date +%s)
  build/fuzz/tests/fuzz/fuzz_$t "$corpus" "${seeds[@]}" -max_total_time="$SECONDS_EACH" -max_len=65536 \
    -rss_limit_mb=1024 -malloc_limit_mb=1024 -timeout=60 -report_slow_units=60 -artifact_prefix=build/fuzz/crashes/ -print_final_stats=1 2>&1 |
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|fuzz_planner:)" || true
  echo "fuzz_$t: $(( $(date +%s) - start )) s"
  if ls build/fuzz/crashes/* >/dev/null 2>&1; then
    echo "fuzz_$t found a crash: $(ls build/fuzz/crashes/)" >&2
    exit 1
  fi
done
