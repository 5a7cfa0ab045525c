// SPDX-License-Identifier: MIT
// Turning a complete raw deflate stream into one that goes on: the step
// that lets a whole-buffer compressor (libdeflate, which can only write
// complete streams) make the chunks of one gzip member (io/byte_sink.hpp).
//
// A complete stream's last block has its BFINAL bit set, and a reader stops
// there. end_as_sync_flush() finds that block's header by inflating the
// stream with zlib's Z_BLOCK (which stops at every block boundary and says
// where, to the bit), clears the bit, and appends an empty stored block
// (the bytes 00 00 FF FF after the header bits, exactly what zlib's
// Z_SYNC_FLUSH writes) so that the stream ends on a byte boundary and the
// next chunk's blocks can follow. The blocks themselves are not touched:
// the stream inflates to the same bytes, now without an end.
//
// Cost: one inflate of the chunk (bench/README.md: on int16 data it runs at
// 420 MB/s against libdeflate level 2's 150 MB/s, so about a third more
// time than libdeflate alone). Memory: zlib's inflate state and
// window and a 32 KiB scratch output, held by the object and reused.
//
// Thread safety: one object per thread.
#pragma once

#include <cstddef>
#include <memory>

namespace respace {

class FinalBlockEnder {
public:
  FinalBlockEnder();
  ~FinalBlockEnder();
  FinalBlockEnder(const FinalBlockEnder&) = delete;
  FinalBlockEnder& operator=(const FinalBlockEnder&) = delete;

  // s[0, n) is one complete raw deflate stream (its last block final, then
  // zero to seven padding bits). Rewrites it in place to end with a sync
  // flush instead; s must have room for n + 5 bytes. Returns the new
  // length. Throws Error(internal) when s is not a complete stream.
  std::size_t end_as_sync_flush(unsigned char* s, std::size_t n);

  // Bytes this object holds (zlib's inflate state and window, the scratch).
  static constexpr std::size_t kBytes = 7168 + 32768 + 32768;

private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace respace
