// SPDX-License-Identifier: MIT
// Fuzz target: the readers of issue 19's files. Any bytes as
//   - a gzip file indexed (io/gzip_index.hpp build_gzip_index): either it
//     throws respace::Error, or a read through the index at a few offsets
//     (zlib and ISA-L) equals the plain source's bytes there;
//   - edits to a valid index of a fixed gzip file (read_gzip_index): either
//     it throws respace::Error, or reads through it throw Error or succeed;
//   - a part file (cli/part.hpp read_part): Error or a trailer.
// The first byte picks which; the rest is the file.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cli/part.hpp"
#include "fuzz_input.hpp"
#include "io/byte_source.hpp"
#include "io/error.hpp"
#include "io/gzip_index.hpp"

namespace {

using namespace respace;

// Up to n bytes from `offset` (fewer at the end), or nothing on an Error.
std::vector<unsigned char> bytes_at(std::unique_ptr<ByteSource> s, std::size_t n) {
  std::vector<unsigned char> out;
  unsigned char buf[512];
  try {
    while (out.size() < n) {
      s->read_exact(buf, sizeof buf);
      out.insert(out.end(), buf, buf + sizeof buf);
    }
  } catch (const Error&) {
  }
  return out;
}

// A valid two-member gzip file of patterned data, made once.
const std::string& fixed_gz() {
  static const std::string path = [] {
    std::vector<unsigned char> d(std::size_t{3} << 20);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<unsigned char>((i * 2654435761u) >> ((i / 8192) % 24));
    const std::string p = "/tmp/respace-fuzz-index-" + std::to_string(::getpid()) + ".gz";
    FILE* f = std::fopen(p.c_str(), "wb");
    for (int m = 0; m < 2; ++m) {
      gzFile g = gzdopen(dup(fileno(f)), "ab6");
      gzwrite(g, d.data() + m * d.size() / 2, static_cast<unsigned>(d.size() / 2));
      gzclose(g);
      std::fseek(f, 0, SEEK_END);
    }
    std::fclose(f);
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 3;
  const std::string path = fuzz::write_input(data + 1, size - 1, "respace-fuzz-index");
  try {
    if (mode == 0) {
      const GzipIndex index = build_gzip_index(path, std::uint64_t{1} << 15);
      for (std::uint64_t at : {std::uint64_t{0}, index.total_out / 3, index.total_out / 2, index.total_out * 9 / 10}) {
        const std::vector<unsigned char> want = bytes_at(open_byte_source(path, at, GzipEngine::zlib), 1 << 16);
        for (GzipEngine engine : {GzipEngine::zlib, GzipEngine::isal}) {
          if (engine == GzipEngine::isal && !have_isal()) continue;
          std::vector<unsigned char> got;
          try {
            got = bytes_at(open_indexed_source(path, index, at, engine), 1 << 16);
          } catch (const Error&) {
            std::abort();  // an index that build made must open
          }
          const std::size_t n = std::min(want.size(), got.size());
          if (!std::equal(got.begin(), got.begin() + static_cast<long>(n), want.begin())) std::abort();
        }
      }
    } else if (mode == 1) {
      // The input as edits to a valid index of the fixed file (3 bytes per
      // edit: where, and what to XOR there), so the fuzzer reaches past
      // the identity check into the entries.
      static const std::string valid = [] {
        const std::string p = fixed_gz() + ".respace-index";
        write_gzip_index(build_gzip_index(fixed_gz(), std::uint64_t{1} << 18), p, true);
        FILE* f = std::fopen(p.c_str(), "rb");
        std::string b;
        char buf[4096];
        for (std::size_t n; f && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) b.append(buf, n);
        if (f) std::fclose(f);
        ::unlink(p.c_str());
        return b;
      }();
      std::string edited = valid;
      for (std::size_t e = 1; e + 2 < size && !edited.empty(); e += 3)
        edited[(static_cast<std::size_t>(data[e]) << 8 | data[e + 1]) % edited.size()] ^= static_cast<char>(data[e + 2]);
      if (size % 7 == 3) edited.resize(edited.size() * data[size - 1] / 256);  // truncated now and then
      FILE* f = std::fopen(path.c_str(), "wb");
      if (f) {
        std::fwrite(edited.data(), 1, edited.size(), f);
        std::fclose(f);
      }
      const std::optional<GzipIndex> index = read_gzip_index(path, fixed_gz());
      if (index)
        for (std::uint64_t at : {std::uint64_t{0}, std::uint64_t{1} << 20, std::uint64_t{5} << 19})
          try {
            bytes_at(open_indexed_source(fixed_gz(), *index, at), 4096);
          } catch (const Error&) {
          }
    } else {
      read_part(path);
    }
  } catch (const Error&) {
  }
  ::unlink(path.c_str());
  return 0;
}
