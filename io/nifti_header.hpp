// SPDX-License-Identifier: MIT
// The input side of a NIfTI file: nifticlib parses the header and the
// extensions (NIfTI-1 or NIfTI-2; .nii, .nii.gz, .hdr/.img, .hdr/.img.gz)
// and never the voxel data, which is streamed through a ByteSource.
//
// Thread safety: an InputVolume is immutable after open().
#pragma once

#include <nifti/nifti2_io.h>

#include <cstdint>
#include <memory>
#include <string>

#include "io/byte_source.hpp"
#include "io/nifti_output.hpp"
#include "io/raw_header.hpp"

namespace respace {

struct GzipIndex;

struct NiftiImageDeleter {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NiftiImagePtr = std::unique_ptr<nifti_image, NiftiImageDeleter>;

class InputVolume {
public:
  // Reads and validates the header. Throws Error(bad_input) with a message
  // naming the file and the fault.
  static InputVolume open(const std::string& path);
  // The header file `header_path` (a .hdr or .nii header) describing voxel
  // data held in memory at `data` (`bytes` long, at least as long as this
  // InputVolume is used): the Python binding's arrays, read without a copy.
  static InputVolume open_memory(const std::string& header_path, const unsigned char* data, std::uint64_t bytes);
  bool in_memory() const { return memory_ != nullptr; }

  const nifti_image& header() const { return *nim_; }
  const std::string& path() const { return path_; }
  const std::string& data_path() const { return data_path_; }
  std::uint64_t data_offset() const { return static_cast<std::uint64_t>(nim_->iname_offset); }
  bool needs_swap() const;
  int datatype() const { return nim_->datatype; }
  int bytes_per_voxel() const { return nim_->nbyper; }
  int nifti_version() const { return version_; }  // 1 or 2 (ANALYZE 7.5 reads as 1)
  std::int64_t nx() const { return nim_->nx; }
  std::int64_t ny() const { return nim_->ny; }
  std::int64_t nz() const { return nim_->nz; }
  // Number of 3-D volumes: the product of dims 4..7.
  std::int64_t volumes() const;
  std::uint64_t plane_bytes() const {
    return static_cast<std::uint64_t>(nx()) * static_cast<std::uint64_t>(ny()) *
           static_cast<std::uint64_t>(bytes_per_voxel());
  }
  // The header's text fields, byte for byte as stored.
  const RawText& raw_text() const { return text_; }
  // The header's geometry fields as stored (for --like).
  const RawGeometry& raw_geometry() const { return geometry_; }
  // Opens the voxel data positioned at its first byte, decoded on its own
  // thread ahead of the caller (io/read_ahead.hpp); gzip by `engine`.
  std::unique_ptr<ByteSource> open_data(GzipEngine engine = default_gzip_engine()) const;
  // The `bytes` bytes of voxel data from byte `first` of the data on (a
  // part's input planes): a gzip input is inflated from the access point of
  // `index` before them (io/gzip_index.hpp), or without one from its start.
  std::unique_ptr<ByteSource> open_data(GzipEngine engine, std::uint64_t first, std::uint64_t bytes,
                                        const GzipIndex* index = nullptr) const;
  // The header's extensions: how many, and their bytes (esize summed); they
  // are never held, copy_extensions() streams them to an output.
  std::uint64_t extension_count() const { return raw_.extension_count; }
  std::uint64_t extension_bytes() const { return raw_.extension_bytes; }
  void copy_extensions(ByteSink& sink) const { respace::copy_extensions(header_path_, raw_, sink); }
  // Bytes of voxel data: nx*ny*nz*volumes*bytes per voxel.
  std::uint64_t data_bytes() const { return plane_bytes() * static_cast<std::uint64_t>(nz()) * static_cast<std::uint64_t>(volumes()); }

private:
  static InputVolume load(const std::string& path, const unsigned char* memory, std::uint64_t memory_bytes);
  void check_data_fits() const;

  std::string path_;
  std::string data_path_;
  std::string header_path_;
  RawHeader raw_;
  NiftiImagePtr nim_;
  int version_ = 1;
  RawText text_;
  RawGeometry geometry_;
  const unsigned char* memory_ = nullptr;  // open_memory(): the voxel data
  std::uint64_t memory_bytes_ = 0;
};

// Name of a NIfTI datatype code, for messages ("float32", "complex64", ...).
std::string datatype_name(int datatype);
// The scalar datatype named by datatype_name() (uint8 ... float64), or 0.
int scalar_datatype_named(const std::string& name);

// Bytes per voxel of a supported scalar datatype, or 0 when unsupported.
int scalar_bytes(int datatype);
// RGB24 -> 3, RGBA32 -> 4 (uint8 channels), any other type -> 1.
int channels_of(int datatype);
// The type one channel is stored as: uint8 for RGB24/RGBA32, else itself.
int component_of(int datatype);

}  // namespace respace
