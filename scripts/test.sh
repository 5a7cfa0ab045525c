#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every
# test twice, in Release and under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)
for kind in release sanitize; do
  echo "== $kind build"
  bash scripts/build.sh "$kind"
  echo "== $kind tests"
  (cd "build/$kind" && ctest --output-on-failure -j"$jobs" --timeout 900)
done
