#!/usr/bin/env bash
# Installs every Debian package respace needs to build, test and benchmark,
# skipping those already installed. Runs as root, or through sudo.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  zlib1g-dev libnifti2-dev libtbb-dev libboost-program-options-dev libisal-dev libdeflate-dev nlohmann-json3-dev libpng-dev
  googletest libgtest-dev
  clang libclang-rt-14-dev                              # libFuzzer targets
  python3 python3-numpy python3-scipy python3-nibabel   # conformance tests
  nifti-bin gzip                                        # independent readers in tests
  slurm-wlm munge                                       # the Slurm test of --part (a one-node cluster)
  libinsighttoolkit5-dev                                # ITK 5.2, the --convention itk reference
  pybind11-dev python3-pybind11 python3-dev python3-setuptools python3-pip python3-venv   # the Python package
  python3-pytest python3-nbclient python3-nbformat python3-ipykernel python3-matplotlib   # its tests, the notebook
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
