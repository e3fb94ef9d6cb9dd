// GGUF writer: metadata of every value type, tensors padded to the
// alignment, written atomically (temp file + rename).
//
// The layout follows gguf-py's GGUFWriter exactly (keys and tensors in
// insertion order, zero padding after the infos and after every tensor,
// the last one included), so re-writing a gguf-py file reproduces it byte
// for byte; tests/engine checks this on the golden models.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "engine/gguf_metadata.h"
#include "kernels/base/status.h"
#include "kernels/format.h"

namespace bitgate::engine {

class GgufWriter {
 public:
  GgufWriter() = default;

  // Metadata in write order. general.alignment, if set, must be a u32
  // power of two and is used for the data section.
  GgufMetadata& metadata() { return metadata_; }
  const GgufMetadata& metadata() const { return metadata_; }

  // Adds a tensor of shape `ne` (ne[0] = cols first) in `format`; `data`
  // must hold exactly TensorBytes(format, rows, cols) bytes. AddTensor
  // copies the bytes; AddTensorRef borrows them (they must outlive Write*).
  Status AddTensor(std::string name, std::vector<int64_t> ne, kernels::Format format,
                   std::vector<uint8_t> data);
  Status AddTensorRef(std::string name, std::vector<int64_t> ne, kernels::Format format,
                      std::span<const uint8_t> data);

  // Copies every key and tensor of `file` (tensors borrowed from its
  // mapping): the basis of re-writing a file.
  Status CopyFrom(const GgufFile& file);

  // Serializes to memory (tests) or to `path` via `path.tmp.<pid>` + rename.
  Result<std::vector<uint8_t>> WriteToBuffer() const;
  Status WriteFile(const std::string& path) const;

  void set_version(uint32_t v) { version_ = v; }  // 3 by default; 2 is the same layout

 private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> ne;
    kernels::Format format;
    std::vector<uint8_t> owned;
    std::span<const uint8_t> data;
  };
  Result<uint32_t> Alignment() const;
  template <typename Sink>
  Status Serialize(Sink& sink) const;

  uint32_t version_ = 3;
  GgufMetadata metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace bitgate::engine
