// GGUF reader: a memory-mapped, validated view of a GGUF v2/v3 file.
//
// The file is untrusted. Every count, string length, array length, n_dims,
// dimension and offset is checked against overflow and against the bytes
// that remain before it is used, so a truncated or hostile file yields a
// Status naming what was wrong and where, never a crash or a huge
// allocation. Tensor data stays in the mapping (zero-copy); spans into it
// are valid while the GgufFile lives.
//
// Layout (docs/GGUF.md): magic "GGUF", u32 version, i64 n_tensors,
// i64 n_kv, the key/value pairs, the tensor infos, padding to
// general.alignment (default 32), then the tensor data section.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/gguf_metadata.h"
#include "kernels/base/status.h"
#include "kernels/format.h"

namespace bitgate::engine {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint32_t kGgufDefaultAlignment = 32;

// general.alignment must be a power of two and, as the GGUF specification
// says, a multiple of 8: the kernels read a block's 2- and 4-byte fields in
// place, so a tensor at an odd offset would be read misaligned.
Status CheckGgufAlignment(uint32_t alignment);
inline constexpr int kGgufMaxDims = 4;  // GGML_MAX_DIMS

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;   // ggml order: ne[0] (contiguous, = cols) first
  kernels::Format format = kernels::Format::kF32;
  int ggml_type = 0;
  int64_t n_elements = 0;
  int64_t rows = 0;          // product of ne[1..]: the matrix view [rows][cols]
  int64_t cols = 0;          // ne[0]
  uint64_t offset = 0;       // relative to the data section, as stored
  uint64_t file_offset = 0;  // absolute offset in the file
  int64_t n_bytes = 0;       // kernels::TensorBytes(format, rows, cols)
  std::span<const uint8_t> data;  // n_bytes bytes inside the mapping

  // "[256, 327]" in ne order.
  std::string ShapeString() const;
};

class GgufFile {
 public:
  // Maps `path` read-only and parses it. Errors are prefixed with the path.
  static Result<GgufFile> Open(const std::string& path);
  // Parses bytes already in memory (tests, fuzzing). With `copy`, the
  // GgufFile keeps its own copy; otherwise `bytes` must outlive it.
  static Result<GgufFile> FromBuffer(std::span<const uint8_t> bytes, bool copy = true);

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const GgufMetadata& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  // nullptr if absent.
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // "missing tensor X" if absent.
  Result<const GgufTensorInfo*> GetTensor(std::string_view name) const;
  // As GetTensor, and the shape must be `ne` (ne0 first), else
  // "tensor X has shape [a, b], expected [c, d]". Trailing 1s are ignored
  // ([256] equals [256, 1]), as ggml does.
  Result<const GgufTensorInfo*> GetTensor(std::string_view name,
                                          std::initializer_list<int64_t> ne) const;

  // The whole file, valid while this object lives.
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const uint8_t* raw_data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  struct Mapping;  // owns the mmap or the copied buffer
  GgufFile() = default;
  Status Parse();

  std::unique_ptr<Mapping> mapping_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  GgufMetadata metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace bitgate::engine
