// SPDX-License-Identifier: MIT
// Sequential byte sinks for the output file: plain, or one gzip member.
//
// The gzip sink is a pigz-style parallel writer. The output stream is cut
// into chunks of a fixed number of bytes (kChunkBytes) counted from the
// start of the stream, each carrying the 32 KiB before it as a deflate
// dictionary, so the ratio stays that of one stream. Chunks are deflated
// independently, in parallel, as raw deflate ending on a byte boundary
// (a sync flush), and written in order by one writer, which combines the
// CRC-32s; finish() adds an empty final block and the gzip trailer. Because
// the cut depends only on byte offsets, the file's bytes depend only on the
// data, the engine and the level: never on threads, block depth or how the
// caller splits its writes.
//
// The protocol, used by the pipeline (engine/pipeline.hpp):
//   cut()          serial, in stream order: copy bytes in, hand out full chunks
//   encode()       any thread, concurrently: deflate one chunk, CRC it
//   write_chunk()  serial, in stream order: append an encoded chunk
// write() does all three on the calling thread. A plain sink encodes
// nothing (encodes() is false) and only supports write().
//
// Memory: the gzip sink's chunks come from a pool of declared capacity
// (each kDeflateWindow + kChunkBytes + deflate_bound(kChunkBytes) bytes) and
// each thread that encodes holds one deflater (io/gzip_codec.hpp).
//
// Thread safety: as above; everything but encode() is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/buffer_pool.hpp"
#include "io/gzip_codec.hpp"

namespace respace {

// Large enough that the 32 KiB dictionary primed per chunk costs little (the
// outputs stay within 0.2% of ITK's single-stream size, bench/README.md),
// small enough that a few chunks per thread stay in flight. Not tuned by a
// benchmark of its own: an earlier comment cited bench/gzip_chunks, which
// never existed.
constexpr std::size_t kChunkBytes = std::size_t{512} << 10;

struct Chunk {
  BufferPool::Handle mem;  // [dictionary | data | encoded]
  std::size_t dict_n = 0, n = 0, encoded_n = 0;
  std::uint32_t crc = 0;
  unsigned char* dict() const { return mem.data(); }
  unsigned char* data() const { return mem.data() + kDeflateWindow; }
  unsigned char* encoded() const { return mem.data() + kDeflateWindow + kChunkBytes; }
};
using ChunkPtr = std::unique_ptr<Chunk>;

constexpr std::size_t chunk_buffer_bytes() { return kDeflateWindow + kChunkBytes + deflate_bound(kChunkBytes); }

// One piece of an output stream (respace --part, cli/part.hpp): the sink is
// fed the stream's bytes from offset `fed` on and keeps [begin, end) of
// them; begin is a multiple of kChunkBytes, so a gzip sink cuts the same
// chunks, with the same dictionaries (the 32 KiB before begin), as the sink
// of the whole stream. A gzip sink then writes those chunks' deflate pieces
// alone: no gzip header, final block or trailer (the join adds them).
struct StreamRange {
  std::uint64_t fed = 0, begin = 0, end = 0;
};

// What a ranged sink kept: the CRC-32 and length of its uncompressed bytes.
struct StreamPiece {
  std::uint32_t crc = 0;
  std::uint64_t length = 0;
};

class ByteSink {
public:
  virtual ~ByteSink() = default;
  virtual void write(const void* src, std::size_t n) = 0;
  // Flushes everything (and writes the gzip trailer). No write() after it.
  virtual void finish() = 0;
  // Bytes written to the file so far.
  virtual std::uint64_t file_bytes_written() const = 0;

  virtual bool encodes() const { return false; }
  virtual void cut(const unsigned char* /*p*/, std::size_t /*n*/, std::vector<ChunkPtr>& /*full*/) {}
  virtual void encode(Chunk& /*c*/) const {}
  virtual void write_chunk(const Chunk& /*c*/) {}
  // A ranged sink (SinkOptions::range), after finish(): what it kept. Throws
  // Error(internal) when it was not fed up to the range's end.
  virtual StreamPiece piece() const { return {}; }
  // Pool statistics (tests assert the declared capacity holds).
  virtual std::size_t peak_chunks() const { return 0; }
  virtual std::size_t chunk_overflows() const { return 0; }
};

// Something that wraps a job's output sink to watch the voxel data written
// (the --qc picture, cli/qc.hpp); everything is passed on as it came.
class SinkWatch {
public:
  virtual ~SinkWatch() = default;
  // Called once, after the header; this watch must outlive the result.
  virtual std::unique_ptr<ByteSink> watch(std::unique_ptr<ByteSink> out) = 0;
};

constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;

struct SinkOptions {
  int gzip_level = 0;  // 0: plain file
  GzipEngine engine = GzipEngine::zlib;
  std::size_t chunk_capacity = 4;  // chunks in flight, from the memory plan
  // Plain sinks: the most bytes one write(2) carries (0: no bound). The page
  // cache sizes its folios by the write, which matters to a file that is
  // memory-mapped afterwards (engine/general_resampler.cpp).
  std::size_t max_write = 0;
  std::optional<StreamRange> range;  // a piece of the stream only (--part)
};

// `path` is used in error messages only.
std::unique_ptr<ByteSink> make_byte_sink(int fd, const std::string& path, const SinkOptions& options);

}  // namespace respace
