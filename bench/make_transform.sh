#!/usr/bin/env bash
# Writes one of the benchmarks' world transforms, W = T(c) R T(-c) in mm
# about the centre c of an N^3 volume at 0.1 mm, as a 4x4 text matrix:
#
#   bash bench/make_transform.sh rot5z|tilt5x|turn90 N > FILE
#
#   rot5z   5 degrees within the slices (about z)
#   tilt5x  5 degrees out of them (about x)
#   turn90  x <-> z: every input plane for every output plane
set -euo pipefail
awk -v name="$1" -v n="$2" 'BEGIN {
  c = (n - 1) / 2 * 0.1; t = 5 * atan2(0, -1) / 180; C = cos(t); S = sin(t)
  for (i = 0; i < 3; i++) for (j = 0; j < 3; j++) R[i, j] = (i == j)
  if (name == "rot5z") { R[0,0] = C; R[0,1] = -S; R[1,0] = S; R[1,1] = C }
  else if (name == "tilt5x") { R[1,1] = C; R[1,2] = -S; R[2,1] = S; R[2,2] = C }
  else if (name == "turn90") { R[0,0] = 0; R[0,2] = 1; R[2,0] = 1; R[2,2] = 0 }
  else { print "unknown transform " name > "/dev/stderr"; exit 2 }
  for (i = 0; i < 3; i++) {
    o = c; for (j = 0; j < 3; j++) o -= R[i, j] * c
    printf "%.17g %.17g %.17g %.17g\n", R[i,0], R[i,1], R[i,2], o
  }
  print "0 0 0 1" }'
