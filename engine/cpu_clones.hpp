// SPDX-License-Identifier: MIT
// RESPACE_CLONES: an AVX2 clone of a function beside the default one, chosen
// once at load time (GCC's target_clones, an ifunc), for the loops that
// gain from wider vectors and SSE4.1's rounding (floor). IEEE multiply and
// add give the same bits in either clone: the build has no FMA contraction
// (-ffp-contract=off), so a clone changes speed, never values. Off under
// clang and the sanitizers (no ifuncs there). A clone is called, not
// inlined: mark functions whose work per call is a row or more.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define RESPACE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RESPACE_CLONES
#endif
