// SPDX-License-Identifier: MIT
// Fuzz target: any bytes as a voxel data stream (gzip when it starts with
// the magic, raw otherwise), read through each engine. Either the stream
// decodes or the reader throws respace::Error; and when both engines decode
// the same gzip stream, they must produce the same bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_input.hpp"
#include "io/byte_source.hpp"
#include "io/error.hpp"

namespace {

// Everything the stream yields, up to 4 MiB (deflate can expand 1032x), and
// whether it ended cleanly.
bool drain(const std::string& path, respace::GzipEngine e, std::vector<unsigned char>& out) {
  try {
    auto src = respace::open_byte_source(path, 0, e);
    unsigned char buf[4096];
    while (out.size() < (std::size_t{4} << 20)) {
      // read_exact throws at the end of the stream; read a byte at a time
      // once short, so the two engines are compared at the same points.
      try {
        src->read_exact(buf, sizeof buf);
        out.insert(out.end(), buf, buf + sizeof buf);
      } catch (const respace::Error&) {
        break;
      }
    }
    return true;
  } catch (const respace::Error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace respace;
  const std::string path = fuzz::write_input(data, size, "respace-fuzz-stream");
  std::vector<unsigned char> a, b;
  drain(path, GzipEngine::zlib, a);
  if (have_isal()) {
    drain(path, GzipEngine::isal, b);
    // Both read whole 4 KiB pieces of the same stream: a valid prefix must
    // decode to the same bytes (one engine may stop earlier on bad data).
    const std::size_t n = std::min(a.size(), b.size());
    if (!std::equal(a.begin(), a.begin() + static_cast<long>(n), b.begin())) std::abort();
  }
  ::unlink(path.c_str());
  return 0;
}
