// SPDX-License-Identifier: MIT
// Fuzz target: any bytes as a NIfTI file. Header parsing (nifticlib plus our
// checks) must either accept it or throw respace::Error, and an accepted
// file's voxel data must stream (read ahead, inflated by either engine) to
// its end or fail the same way: never crash, hang or allocate beyond the
// data the file can hold.
#include <cstdint>
#include <vector>

#include "fuzz_input.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace respace;
  const std::string path = fuzz::write_input(data, size, "respace-fuzz-header");
  try {
    const InputVolume v = InputVolume::open(path);
    for (GzipEngine e : {GzipEngine::zlib, GzipEngine::isal}) {
      if (e == GzipEngine::isal && !have_isal()) continue;
      try {
        auto src = v.open_data(e);
        std::vector<unsigned char> buf(65536);
        for (std::uint64_t left = v.data_bytes(); left > 0;) {
          const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
          src->read_exact(buf.data(), step);
          left -= step;
        }
        src->finish();
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  ::unlink(path.c_str());
  return 0;
}
