#include "engine/gguf_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kernels/base/checked_math.h"

namespace bitgate::engine {
namespace {

// Sinks: a growable buffer or a stdio stream.
class BufferSink {
 public:
  explicit BufferSink(std::vector<uint8_t>* out) : out_(out) {}
  Status Write(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out_->insert(out_->end(), b, b + n);
    return Status::Ok();
  }
  uint64_t pos() const { return out_->size(); }

 private:
  std::vector<uint8_t>* out_;
};

class FileSink {
 public:
  FileSink(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  Status Write(const void* p, size_t n) {
    if (n != 0 && std::fwrite(p, 1, n, f_) != n) {
      return Status::Error(path_ + ": write failed: " + std::strerror(errno));
    }
    pos_ += n;
    return Status::Ok();
  }
  uint64_t pos() const { return pos_; }

 private:
  std::FILE* f_;
  std::string path_;
  uint64_t pos_ = 0;
};

template <typename T, typename Sink>
Status Put(Sink& s, T v) {
  return s.Write(&v, sizeof(T));
}

template <typename Sink>
Status PutString(Sink& s, const std::string& str) {
  BITGATE_RETURN_IF_ERROR(Put<uint64_t>(s, str.size()));
  return s.Write(str.data(), str.size());
}

template <typename Sink>
Status PutPadding(Sink& s, uint32_t alignment) {
  static const uint8_t kZeros[256] = {};
  uint64_t pad = (alignment - s.pos() % alignment) % alignment;
  while (pad > 0) {
    const uint64_t n = pad < sizeof(kZeros) ? pad : sizeof(kZeros);
    BITGATE_RETURN_IF_ERROR(s.Write(kZeros, n));
    pad -= n;
  }
  return Status::Ok();
}

template <typename Sink>
Status PutValue(Sink& s, const GgufValue& v) {
  BITGATE_RETURN_IF_ERROR(Put<int32_t>(s, static_cast<int32_t>(v.type)));
  if (v.type == GgufType::kString) return PutString(s, v.str);
  if (!v.is_array()) return s.Write(&v.scalar, GgufScalarSize(v.type));
  BITGATE_RETURN_IF_ERROR(Put<int32_t>(s, static_cast<int32_t>(v.elem_type)));
  BITGATE_RETURN_IF_ERROR(Put<uint64_t>(s, v.array_size()));
  if (v.elem_type == GgufType::kString) {
    for (const auto& str : v.strings) BITGATE_RETURN_IF_ERROR(PutString(s, str));
    return Status::Ok();
  }
  return s.Write(v.raw.data(), v.raw.size());
}

uint64_t PadTo(uint64_t n, uint32_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

Status GgufWriter::AddTensorRef(std::string name, std::vector<int64_t> ne, kernels::Format format,
                                std::span<const uint8_t> data) {
  const std::string where = "tensor '" + name + "'";
  if (ne.empty() || ne.size() > static_cast<size_t>(kGgufMaxDims)) {
    return Status::Error(where + ": " + std::to_string(ne.size()) + " dimensions (1..4 allowed)");
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return Status::Error(where + ": duplicate tensor name");
  }
  int64_t rows = 1;
  for (size_t d = 1; d < ne.size(); ++d) {
    auto r = CheckedMul(rows, ne[d], "row count");
    if (!r.ok()) return r.status().WithContext(where);
    rows = *r;
  }
  auto bytes = kernels::TensorBytes(format, rows, ne[0]);
  if (!bytes.ok()) return bytes.status().WithContext(where);
  if (static_cast<uint64_t>(*bytes) != data.size()) {
    return Status::Error(where + ": " + std::to_string(data.size()) + " bytes given, " +
                         kernels::FormatName(format) + " needs " + std::to_string(*bytes));
  }
  tensors_.push_back(Tensor{std::move(name), std::move(ne), format, {}, data});
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string name, std::vector<int64_t> ne, kernels::Format format,
                             std::vector<uint8_t> data) {
  BITGATE_RETURN_IF_ERROR(AddTensorRef(std::move(name), std::move(ne), format, data));
  // The vector's heap buffer does not move when the vector is moved.
  tensors_.back().owned = std::move(data);
  tensors_.back().data = tensors_.back().owned;
  return Status::Ok();
}

Status GgufWriter::CopyFrom(const GgufFile& file) {
  for (const auto& [key, value] : file.metadata().entries()) metadata_.Set(key, value);
  for (const auto& t : file.tensors()) {
    BITGATE_RETURN_IF_ERROR(AddTensorRef(t.name, t.ne, t.format, t.data));
  }
  return Status::Ok();
}

Result<uint32_t> GgufWriter::Alignment() const {
  if (!metadata_.Has("general.alignment")) return kGgufDefaultAlignment;
  const GgufValue* v = metadata_.Find("general.alignment");
  if (v->type != GgufType::kU32) {
    return Status::Error("key general.alignment has type " + v->TypeString() + ", expected u32");
  }
  const uint32_t a = static_cast<uint32_t>(v->scalar);
  BITGATE_RETURN_IF_ERROR(CheckGgufAlignment(a));
  return a;
}

template <typename Sink>
Status GgufWriter::Serialize(Sink& s) const {
  auto alignment = Alignment();
  if (!alignment.ok()) return alignment.status();
  BITGATE_RETURN_IF_ERROR(Put<uint32_t>(s, kGgufMagic));
  BITGATE_RETURN_IF_ERROR(Put<uint32_t>(s, version_));
  BITGATE_RETURN_IF_ERROR(Put<int64_t>(s, static_cast<int64_t>(tensors_.size())));
  BITGATE_RETURN_IF_ERROR(Put<int64_t>(s, static_cast<int64_t>(metadata_.size())));
  for (const auto& [key, value] : metadata_.entries()) {
    BITGATE_RETURN_IF_ERROR(PutString(s, key));
    BITGATE_RETURN_IF_ERROR(PutValue(s, value));
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    BITGATE_RETURN_IF_ERROR(PutString(s, t.name));
    BITGATE_RETURN_IF_ERROR(Put<uint32_t>(s, static_cast<uint32_t>(t.ne.size())));
    for (int64_t d : t.ne) BITGATE_RETURN_IF_ERROR(Put<int64_t>(s, d));
    BITGATE_RETURN_IF_ERROR(Put<int32_t>(s, kernels::Info(t.format).ggml_type));
    BITGATE_RETURN_IF_ERROR(Put<uint64_t>(s, offset));
    offset += PadTo(t.data.size(), *alignment);
  }
  // gguf-py pads after the infos even when there are no tensors.
  BITGATE_RETURN_IF_ERROR(PutPadding(s, *alignment));
  for (const auto& t : tensors_) {
    BITGATE_RETURN_IF_ERROR(s.Write(t.data.data(), t.data.size()));
    BITGATE_RETURN_IF_ERROR(PutPadding(s, *alignment));
  }
  return Status::Ok();
}

Result<std::vector<uint8_t>> GgufWriter::WriteToBuffer() const {
  std::vector<uint8_t> out;
  BufferSink sink(&out);
  BITGATE_RETURN_IF_ERROR(Serialize(sink));
  return out;
}

Status GgufWriter::WriteFile(const std::string& path) const {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::Error(tmp + ": cannot create: " + std::strerror(errno));
  FileSink sink(f, tmp);
  Status s = Serialize(sink);
  if (std::fflush(f) != 0 && s.ok()) s = Status::Error(tmp + ": flush failed: " + std::strerror(errno));
  if (s.ok() && ::fsync(::fileno(f)) != 0) {
    s = Status::Error(tmp + ": fsync failed: " + std::strerror(errno));
  }
  if (std::fclose(f) != 0 && s.ok()) s = Status::Error(tmp + ": close failed: " + std::strerror(errno));
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::Error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  if (!s.ok()) std::remove(tmp.c_str());
  return s;
}

}  // namespace bitgate::engine
