// SPDX-License-Identifier: MIT
#include "io/final_block.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "io/error.hpp"

namespace respace {

struct FinalBlockEnder::State {
  z_stream zs{};
  unsigned char scratch[32768];
};

FinalBlockEnder::FinalBlockEnder() : st_(std::make_unique<State>()) {
  if (inflateInit2(&st_->zs, -MAX_WBITS) != Z_OK) throw Error(ExitCode::internal, "zlib inflateInit2 failed");
}

FinalBlockEnder::~FinalBlockEnder() { inflateEnd(&st_->zs); }

std::size_t FinalBlockEnder::end_as_sync_flush(unsigned char* s, std::size_t n) {
  z_stream& zs = st_->zs;
  if (inflateReset(&zs) != Z_OK) throw Error(ExitCode::internal, "zlib inflateReset failed");
  zs.next_in = s;
  zs.avail_in = static_cast<uInt>(n);
  // Bit positions: where the block being read began, and where the final
  // block ended. data_type: the bits inflate holds but has not used (low 6
  // bits), +64 once the final block's header is read, +128 at a boundary.
  std::uint64_t block_start = 0, final_end = 0;
  bool ended = false;
  while (!ended) {
    zs.next_out = st_->scratch;
    zs.avail_out = sizeof st_->scratch;
    const int r = inflate(&zs, Z_BLOCK);
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
      throw Error(ExitCode::internal, std::string("a chunk's deflate stream does not inflate: ") + (zs.msg ? zs.msg : "?"));
    if (zs.data_type & 128) {
      const std::uint64_t at = 8 * static_cast<std::uint64_t>(n - zs.avail_in) - static_cast<std::uint64_t>(zs.data_type & 63);
      if (zs.data_type & 64) {
        final_end = at;
        ended = true;
      } else {
        block_start = at;
      }
    } else if (r == Z_STREAM_END || (r == Z_BUF_ERROR && zs.avail_in == 0)) {
      throw Error(ExitCode::internal, "a chunk's deflate stream has no final block boundary");
    }
  }
  const std::uint64_t bits = 8 * static_cast<std::uint64_t>(n);
  if (final_end > bits || bits - final_end >= 8)
    throw Error(ExitCode::internal, "a chunk's deflate stream goes on past its final block");
  s[block_start / 8] = static_cast<unsigned char>(s[block_start / 8] & ~(1u << (block_start % 8)));  // BFINAL = 0
  if (final_end % 8) s[final_end / 8] = static_cast<unsigned char>(s[final_end / 8] & ((1u << (final_end % 8)) - 1));
  // An empty stored block: three zero header bits (in the padding when it
  // has room, else in one more byte), then LEN 0 and NLEN 0xFFFF.
  std::size_t out = n;
  if (bits - final_end < 3) s[out++] = 0;
  const unsigned char empty_stored[4] = {0x00, 0x00, 0xFF, 0xFF};
  std::memcpy(s + out, empty_stored, 4);
  return out + 4;
}

}  // namespace respace
