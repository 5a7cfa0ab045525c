// SPDX-License-Identifier: MIT
// One block of output bytes into a sink: a gzip sink's chunks cut, deflated
// in parallel and written in order (io/byte_sink.hpp); a plain sink written
// as is. For the stages that hold a whole block of output at once (the
// general sampler, the label votes); the separable pipeline does the same
// in its own filters.
//
// Thread safety: one caller per sink; the deflates run on the calling
// thread's oneTBB arena.
#pragma once

#include <oneapi/tbb/parallel_for.h>

#include <vector>

#include "io/byte_sink.hpp"

namespace respace {

inline void write_block(ByteSink& out, const unsigned char* bytes, std::size_t n) {
  if (!out.encodes()) {
    out.write(bytes, n);
    return;
  }
  std::vector<ChunkPtr> chunks;
  out.cut(bytes, n, chunks);
  oneapi::tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t i) { out.encode(*chunks[i]); });
  for (const ChunkPtr& c : chunks) out.write_chunk(*c);
}

}  // namespace respace
