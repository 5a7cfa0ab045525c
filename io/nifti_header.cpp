// SPDX-License-Identifier: MIT
#include "io/nifti_header.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "io/error.hpp"
#include "io/gzip_index.hpp"
#include "io/read_ahead.hpp"
#include "io/raw_header.hpp"

namespace respace {
namespace {

template <class Header>
void copy_geometry(const Header& h, RawGeometry& g) {
  each_geometry_field(h, g, [](const auto& field, auto& value) {
    value = static_cast<std::remove_reference_t<decltype(value)>>(field);
  });
  g.xyzt_units = static_cast<int>(h.xyzt_units);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ExitCode::bad_input, path + ": " + what);
}

// Runs f with stderr captured: nifticlib prints "** ERROR: ..." lines even at
// debug level 0; they become part of our one-line message instead. Header
// reading is single-threaded, so swapping fd 2 for a moment is safe.
template <class F>
std::string capture_stderr(F&& f) {
  std::fflush(stderr);
  FILE* tmp = std::tmpfile();
  const int saved = ::dup(2);
  if (!tmp || saved < 0) {
    if (tmp) std::fclose(tmp);
    f();
    return {};
  }
  ::dup2(::fileno(tmp), 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string text(4096, '\0');
  std::rewind(tmp);
  text.resize(std::fread(&text[0], 1, text.size(), tmp));
  std::fclose(tmp);
  // Keep the reasons, one clause each: "** ERROR: nifti_x: bad dim[1]" -> "bad dim[1]".
  std::string reasons;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    const std::size_t colon = line.rfind(": ");
    if (colon != std::string::npos) line = line.substr(colon + 2);
    if (!line.empty()) reasons += (reasons.empty() ? "" : "; ") + line;
    at = end + 1;
  }
  return reasons;
}

}  // namespace

int scalar_bytes(int datatype) {
  switch (datatype) {
    case DT_UINT8: case DT_INT8: return 1;
    case DT_INT16: case DT_UINT16: return 2;
    case DT_INT32: case DT_UINT32: case DT_FLOAT32: return 4;
    case DT_INT64: case DT_UINT64: case DT_FLOAT64: return 8;
    default: return 0;
  }
}

int channels_of(int datatype) {
  return datatype == DT_RGB24 ? 3 : datatype == DT_RGBA32 ? 4 : 1;
}

int component_of(int datatype) { return channels_of(datatype) > 1 ? DT_UINT8 : datatype; }

std::string datatype_name(int datatype) {
  switch (datatype) {
    case DT_UINT8: return "uint8";
    case DT_INT8: return "int8";
    case DT_INT16: return "int16";
    case DT_UINT16: return "uint16";
    case DT_INT32: return "int32";
    case DT_UINT32: return "uint32";
    case DT_INT64: return "int64";
    case DT_UINT64: return "uint64";
    case DT_FLOAT32: return "float32";
    case DT_FLOAT64: return "float64";
    case DT_FLOAT128: return "float128";
    case DT_COMPLEX64: return "complex64";
    case DT_COMPLEX128: return "complex128";
    case DT_COMPLEX256: return "complex256";
    case DT_RGB24: return "RGB24";
    case DT_RGBA32: return "RGBA32";
    case DT_BINARY: return "binary (1 bit)";
    default: return "unknown datatype code " + std::to_string(datatype);
  }
}

int scalar_datatype_named(const std::string& name) {
  for (int dt : {DT_UINT8, DT_INT8, DT_INT16, DT_UINT16, DT_INT32, DT_UINT32, DT_INT64, DT_UINT64, DT_FLOAT32,
                 DT_FLOAT64})
    if (datatype_name(dt) == name) return dt;
  return 0;
}

InputVolume InputVolume::open(const std::string& path) { return load(path, nullptr, 0); }

InputVolume InputVolume::open_memory(const std::string& header_path, const unsigned char* data, std::uint64_t bytes) {
  return load(header_path, data, bytes);
}

InputVolume InputVolume::load(const std::string& path, const unsigned char* memory, std::uint64_t memory_bytes) {
  {  // A clear message for the common case before nifticlib says anything.
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    bool ok = ::fstat(fd, &st) == 0;
    ::close(fd);
    if (!ok || !S_ISREG(st.st_mode)) fail(path, "not a regular file");
  }
  nifti_set_debug_level(0);
  InputVolume v;
  v.path_ = path;
  // The header file of a pair named by its .img; the file itself otherwise.
  std::string header_path = path;
  if (char* found = nifti_findhdrname(path.c_str())) {
    header_path = found;
    std::free(found);
  }
  v.header_path_ = header_path;
  v.raw_ = read_raw_header(header_path);  // every field that sizes or places data, checked
  const RawHeader& raw = v.raw_;
  if (raw.version == 0 && (ends_with(path, ".nii") || ends_with(path, ".nii.gz")))
    fail(path, "not a NIfTI-1/NIfTI-2 header (bad magic; a .nii file must say n+1 or n+2, and ANALYZE 7.5 "
               "headers come as .hdr/.img pairs)");
  // nifticlib converts the checked header (it swaps bytes itself); it reads
  // nothing from the file, so no extension is ever held in memory.
  const std::string why = capture_stderr([&] {
    v.nim_.reset(raw.header_bytes == 348 ? nifti_convert_n1hdr2nim(raw.n1, header_path.c_str())
                                         : nifti_convert_n2hdr2nim(raw.n2, header_path.c_str()));
  });
  if (!v.nim_)
    fail(path, "not a readable NIfTI-1/NIfTI-2 header (" + (why.empty() ? std::string("bad datatype or dimensions") : why) + ")");
  nifti_image& h = *v.nim_;
  std::free(h.iname);
  h.iname = raw.one_file ? nifti_strdup(header_path.c_str()) : nifti_findimgname(header_path.c_str(), h.nifti_type);
  h.iname_offset = static_cast<decltype(h.iname_offset)>(raw.vox_offset);
  // NIfTI-1 and ANALYZE share the 348-byte layout.
  with_native_header(raw, [&](const auto& stored) {
    std::memcpy(v.text_.descrip, stored.descrip, sizeof v.text_.descrip);
    std::memcpy(v.text_.aux_file, stored.aux_file, sizeof v.text_.aux_file);
    std::memcpy(v.text_.intent_name, stored.intent_name, sizeof v.text_.intent_name);
    copy_geometry(stored, v.geometry_);
  });
  v.version_ = raw.version == 2 ? 2 : 1;
  if (memory) {  // the voxel data are the caller's (the Python binding's array)
    std::free(h.iname);
    h.iname = nifti_strdup("<memory>");
    h.iname_offset = 0;
    v.memory_ = memory;
    v.memory_bytes_ = memory_bytes;
  }
  if (!h.iname) fail(path, "the image file that goes with this header was not found");
  v.data_path_ = h.iname;

  if (h.datatype == DT_COMPLEX64 || h.datatype == DT_COMPLEX128 || h.datatype == DT_COMPLEX256)
    fail(path, "complex data (" + datatype_name(h.datatype) +
                   ") cannot be resampled by respace; split it into real and imaginary volumes first");
  if (h.intent_code >= 3000 && h.intent_code < 3100)
    fail(path, "CIFTI file (intent code " + std::to_string(h.intent_code) +
                   "): not a spatial volume, respace refuses it");
  // FreeSurfer writes surface overlays of an ico7 sphere (163842 vertices)
  // as a 27307 x 1 x 6 "volume" (nibabel undoes the hack on reading).
  if (h.nx == 27307 && h.ny == 1 && h.nz == 6)
    fail(path, "FreeSurfer surface overlay (163842 vertices stored as 27307 x 1 x 6): not a spatial volume, "
               "respace refuses it");
  if (scalar_bytes(component_of(h.datatype)) == 0)
    fail(path, "datatype " + datatype_name(h.datatype) + " is not supported");
  if (scalar_bytes(component_of(h.datatype)) * channels_of(h.datatype) != h.nbyper)
    fail(path, "bytes per voxel do not match the datatype");
  // The dimensions were checked in the raw header (read_raw_header).
  check_geometry(raw, header_path);
  v.check_data_fits();
  return v;
}

// Before anything is planned or allocated: can the file hold the data the
// header describes? A plain file must reach vox_offset + data bytes; a gzip
// stream cannot inflate to more than 1032 times its size (deflate's largest
// ratio is 258 bytes per 2-bit code, about 1032:1).
void InputVolume::check_data_fits() const {
  if (memory_) {
    if (data_bytes() != memory_bytes_)
      fail(path_, "the header describes " + std::to_string(data_bytes()) + " bytes of voxel data, the array holds " +
                      std::to_string(memory_bytes_));
    return;
  }
  struct stat st;
  if (::stat(data_path_.c_str(), &st) != 0) fail(data_path_, std::string("cannot open: ") + std::strerror(errno));
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t need = data_bytes();
  const std::string claim = "the header describes " + std::to_string(need) + " bytes of voxel data";
  if (file_is_gzip(data_path_)) {
    const std::uint64_t most = file_size > UINT64_MAX / 1032 ? UINT64_MAX : file_size * 1032;
    if (need > most || data_offset() > most - std::min(most, need))
      fail(data_path_, claim + " at offset " + std::to_string(data_offset()) + ", more than a " +
                           std::to_string(file_size) + "-byte gzip file can hold (truncated file or bad header)");
  } else {
    if (data_offset() > file_size)
      fail(data_path_, "vox_offset " + std::to_string(data_offset()) + " is past the end of the file (" +
                           std::to_string(file_size) + " bytes)");
    if (need > file_size - data_offset())
      fail(data_path_, claim + " from offset " + std::to_string(data_offset()) + ", but the file holds " +
                           std::to_string(file_size - data_offset()) + " (truncated file or bad header)");
  }
}

bool InputVolume::needs_swap() const {
  return scalar_bytes(component_of(nim_->datatype)) > 1 && nim_->byteorder != nifti_short_order();
}

std::int64_t InputVolume::volumes() const {
  std::int64_t n = 1;
  for (int d = 4; d <= 7 && d <= nim_->dim[0]; ++d) n *= nim_->dim[d];
  return n;
}

std::unique_ptr<ByteSource> InputVolume::open_data(GzipEngine engine) const {
  if (memory_) return memory_source(memory_, memory_bytes_, path_);
  return std::make_unique<ReadAheadSource>(open_byte_source(data_path_, data_offset(), engine), data_bytes());
}

std::unique_ptr<ByteSource> InputVolume::open_data(GzipEngine engine, std::uint64_t first, std::uint64_t bytes,
                                                   const GzipIndex* index) const {
  if (memory_) throw Error(ExitCode::internal, "a window of an input in memory");
  if (index)
    return std::make_unique<ReadAheadSource>(open_indexed_source(data_path_, *index, data_offset() + first, engine), bytes, false);
  return std::make_unique<ReadAheadSource>(open_byte_source(data_path_, data_offset() + first, engine), bytes, false);
}

}  // namespace respace
