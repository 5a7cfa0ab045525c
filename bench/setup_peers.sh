#!/usr/bin/env bash
# Installs the peers the benchmarks compare with (not needed to build or
# test respace): MRtrix3 (mrgrid), ITK 5 (headers and libraries, for the
# small program in bench/peers/itk), pigz and ISA-L's igzip (the floors),
# GNU time, scikit-image and matplotlib (bench/antialias_*).
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  mrtrix3 libinsighttoolkit5-dev pigz isal time python3-nibabel python3-scipy python3-skimage \
  python3-matplotlib >/dev/null
