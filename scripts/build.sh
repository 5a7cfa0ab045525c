#!/usr/bin/env bash
# build.sh [release|sanitize]: configures and builds into build/<kind>.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release)  flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRESPACE_SANITIZE=ON) ;;
  *) echo "build.sh: unknown kind $kind" >&2; exit 2 ;;
esac
cmake -S . -B "build/$kind" "${flags[@]}" >/dev/null
cmake --build "build/$kind" -j"$(nproc)"
