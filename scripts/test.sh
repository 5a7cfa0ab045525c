#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every
# test twice, in Release and under AddressSanitizer + UndefinedBehaviorSanitizer,
# then replays the fuzz regressions and fuzzes the readers for a bounded time
# (RESPACE_FUZZ_SECONDS per target, default 60; 0 skips the fuzzing).
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
echo "== python package: pip install into a virtual environment, then its tests and the notebook"
rm -rf build/venv
# Debian's Python, whose packages (numpy, nibabel, pytest, nbclient, wheel)
# the setup installed, whatever python3 comes first on the PATH.
/usr/bin/python3 -m venv --system-site-packages build/venv
build/venv/bin/pip install --quiet --no-build-isolation --no-index ./python
# From / so that python/respace (the sources, without the extension) is not
# what gets imported: the installed package is. Under an 8 GiB address-space
# limit, so that a job that stopped bounding its memory fails a test instead
# of taking the machine (the 1 GiB jobs plan for 256M).
(ulimit -v 8388608 && cd / && RESPACE_BIN="$OLDPWD/build/release/cli/respace" \
  RESPACE_MAKE_VOLUME="$OLDPWD/build/release/bench/respace_make_volume" \
  "$OLDPWD/build/venv/bin/python" -m pytest -q -p no:cacheprovider "$OLDPWD/python/tests")
if [ "${RESPACE_FUZZ_SECONDS:-60}" != 0 ]; then
  echo "== fuzz"
  bash scripts/fuzz.sh "${RESPACE_FUZZ_SECONDS:-60}"
fi
