#include "engine/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernels/base/checked_math.h"

namespace bitgate::engine {

struct GgufFile::Mapping {
  void* addr = nullptr;  // mmap'ed region, or nullptr
  size_t length = 0;
  std::vector<uint8_t> copy;  // owned buffer (FromBuffer with copy)
  ~Mapping() {
    if (addr != nullptr) munmap(addr, length);
  }
};

namespace {

// A bounds-checked little-endian reader over the file. Each read checks
// the bytes remaining first, so no read can run past the end.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  Status Need(uint64_t n, const std::string& what) const {
    if (n > remaining()) {
      return Status::Error(what + ": needs " + std::to_string(n) + " bytes at offset " +
                           std::to_string(pos_) + " but only " + std::to_string(remaining()) +
                           " remain (file size " + std::to_string(size_) + ")");
    }
    return Status::Ok();
  }

  template <typename T>
  Status Read(T* out, const std::string& what) {
    BITGATE_RETURN_IF_ERROR(Need(sizeof(T), what));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadBytes(uint64_t n, const uint8_t** out, const std::string& what) {
    BITGATE_RETURN_IF_ERROR(Need(n, what));
    *out = data_ + pos_;
    pos_ += n;
    return Status::Ok();
  }

  Status ReadString(std::string* out, const std::string& what) {
    uint64_t len = 0;
    BITGATE_RETURN_IF_ERROR(Read(&len, what + " (string length)"));
    if (len > remaining()) {
      return Status::Error(what + ": string length " + std::to_string(len) + " at offset " +
                           std::to_string(pos_ - 8) + " runs past end of file (" +
                           std::to_string(remaining()) + " bytes remain)");
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

Status ReadValue(Cursor& c, GgufType type, const std::string& what, GgufValue* out) {
  out->type = type;
  if (type == GgufType::kString) return c.ReadString(&out->str, what);
  if (type != GgufType::kArray) {
    const int sz = GgufScalarSize(type);
    const uint8_t* p = nullptr;
    BITGATE_RETURN_IF_ERROR(c.ReadBytes(sz, &p, what));
    out->scalar = 0;
    std::memcpy(&out->scalar, p, sz);
    if (type == GgufType::kBool && out->scalar > 1) {
      return Status::Error(what + ": bool value " + std::to_string(out->scalar) + " is not 0 or 1");
    }
    return Status::Ok();
  }
  int32_t raw_elem = 0;
  BITGATE_RETURN_IF_ERROR(c.Read(&raw_elem, what + " (array element type)"));
  if (!GgufTypeIsValid(raw_elem)) {
    return Status::Error(what + ": unknown array element type " + std::to_string(raw_elem));
  }
  out->elem_type = static_cast<GgufType>(raw_elem);
  if (out->elem_type == GgufType::kArray) {
    return Status::Error(what + ": nested arrays are not supported");
  }
  uint64_t count = 0;
  BITGATE_RETURN_IF_ERROR(c.Read(&count, what + " (array length)"));
  if (out->elem_type == GgufType::kString) {
    // Each string needs at least its 8-byte length: bound the count by the
    // bytes left before reserving anything.
    if (count > c.remaining() / 8) {
      return Status::Error(what + ": array of " + std::to_string(count) +
                           " strings cannot fit in the " + std::to_string(c.remaining()) +
                           " bytes that remain");
    }
    // Grown as strings are read: a std::string is 4x its 8-byte minimum in
    // the file, so a count that only fits the file must not size the vector.
    out->strings.reserve(std::min<uint64_t>(count, 4096));
    for (uint64_t i = 0; i < count; ++i) {
      BITGATE_RETURN_IF_ERROR(
          c.ReadString(&out->strings.emplace_back(), what + " element " + std::to_string(i)));
    }
    return Status::Ok();
  }
  const uint64_t sz = GgufScalarSize(out->elem_type);
  if (count > c.remaining() / sz) {
    return Status::Error(what + ": array of " + std::to_string(count) + " " +
                         GgufTypeName(out->elem_type) + " runs past end of file (" +
                         std::to_string(c.remaining()) + " bytes remain)");
  }
  const uint8_t* p = nullptr;
  BITGATE_RETURN_IF_ERROR(c.ReadBytes(count * sz, &p, what));
  out->raw.assign(p, p + count * sz);
  if (out->elem_type == GgufType::kBool) {
    for (uint64_t i = 0; i < count; ++i) {
      if (out->raw[i] > 1) {
        return Status::Error(what + ": bool element " + std::to_string(i) + " is not 0 or 1");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckGgufAlignment(uint32_t alignment) {
  if (alignment < 8 || (alignment & (alignment - 1)) != 0) {
    return Status::Error("general.alignment " + std::to_string(alignment) +
                         " is not a power of two of at least 8 (GGUF requires a multiple of 8)");
  }
  return Status::Ok();
}

std::string GgufTensorInfo::ShapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

Result<GgufFile> GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Error(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(path + ": not a regular file");
  }
  GgufFile f;
  f.mapping_ = std::make_unique<Mapping>();
  f.size_ = static_cast<uint64_t>(st.st_size);
  if (f.size_ > 0) {
    void* addr = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Status::Error(path + ": mmap failed: " + std::strerror(err));
    }
    f.mapping_->addr = addr;
    f.mapping_->length = f.size_;
    f.data_ = static_cast<const uint8_t*>(addr);
  }
  ::close(fd);  // the mapping keeps the file alive
  Status s = f.Parse();
  if (!s.ok()) return s.WithContext(path);
  return f;
}

Result<GgufFile> GgufFile::FromBuffer(std::span<const uint8_t> bytes, bool copy) {
  GgufFile f;
  f.mapping_ = std::make_unique<Mapping>();
  if (copy) {
    f.mapping_->copy.assign(bytes.begin(), bytes.end());
    f.data_ = f.mapping_->copy.data();
  } else {
    f.data_ = bytes.data();
  }
  f.size_ = bytes.size();
  BITGATE_RETURN_IF_ERROR(f.Parse());
  return f;
}

Status GgufFile::Parse() {
  Cursor c(data_, size_);
  uint32_t magic = 0;
  BITGATE_RETURN_IF_ERROR(c.Read(&magic, "header (magic)"));
  if (magic != kGgufMagic) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "bad magic 0x%08x (expected \"GGUF\")", magic);
    return Status::Error(buf);
  }
  BITGATE_RETURN_IF_ERROR(c.Read(&version_, "header (version)"));
  if (version_ == 1) {
    return Status::Error("GGUF version 1 is not supported (32-bit counts); re-convert the model");
  }
  if (version_ != 2 && version_ != 3) {
    // A byte-swapped small version means a big-endian file.
    if ((version_ & 0xffff) == 0 && version_ != 0) {
      return Status::Error("GGUF version " + std::to_string(version_) +
                           " looks byte-swapped: big-endian files are not supported");
    }
    return Status::Error("unsupported GGUF version " + std::to_string(version_) +
                         " (supported: 2, 3)");
  }
  int64_t n_tensors = 0;
  int64_t n_kv = 0;
  BITGATE_RETURN_IF_ERROR(c.Read(&n_tensors, "header (tensor count)"));
  BITGATE_RETURN_IF_ERROR(c.Read(&n_kv, "header (key/value count)"));
  // A key/value pair takes at least 8 (key length) + 4 (type) + 1 bytes; a
  // tensor info at least 8 + 4 + 4 + 8. Bound both before reserving.
  if (n_kv < 0 || static_cast<uint64_t>(n_kv) > c.remaining() / 13) {
    return Status::Error("header: key/value count " + std::to_string(n_kv) +
                         " is impossible for a file of " + std::to_string(size_) + " bytes");
  }
  if (n_tensors < 0 || static_cast<uint64_t>(n_tensors) > c.remaining() / 24) {
    return Status::Error("header: tensor count " + std::to_string(n_tensors) +
                         " is impossible for a file of " + std::to_string(size_) + " bytes");
  }

  for (int64_t i = 0; i < n_kv; ++i) {
    const std::string where = "key/value " + std::to_string(i);
    std::string key;
    BITGATE_RETURN_IF_ERROR(c.ReadString(&key, where + " (key)"));
    int32_t raw_type = 0;
    BITGATE_RETURN_IF_ERROR(c.Read(&raw_type, "key '" + key + "' (value type)"));
    if (!GgufTypeIsValid(raw_type)) {
      return Status::Error("key '" + key + "': unknown value type " + std::to_string(raw_type));
    }
    GgufValue value;
    BITGATE_RETURN_IF_ERROR(ReadValue(c, static_cast<GgufType>(raw_type), "key '" + key + "'", &value));
    BITGATE_RETURN_IF_ERROR(metadata_.Add(std::move(key), std::move(value)));
  }

  if (const GgufValue* a = metadata_.Find("general.alignment")) {
    auto al = metadata_.GetU32("general.alignment");
    if (!al.ok()) return al.status();
    if (a->type != GgufType::kU32) {
      return Status::Error("key general.alignment has type " + a->TypeString() + ", expected u32");
    }
    BITGATE_RETURN_IF_ERROR(CheckGgufAlignment(*al));
    alignment_ = *al;
  }

  // A tensor info takes at least 8 (name length) + 4 (n_dims) + 8 (one
  // dimension) + 4 (type) + 8 (offset) bytes of what the key/values left.
  if (static_cast<uint64_t>(n_tensors) > c.remaining() / 32) {
    return Status::Error("header: tensor count " + std::to_string(n_tensors) + " cannot fit in the " +
                         std::to_string(c.remaining()) + " bytes after the key/values (at offset " +
                         std::to_string(c.pos()) + ")");
  }
  // Grown as infos are read (an info in memory is several times its
  // minimum in the file).
  tensors_.reserve(static_cast<size_t>(std::min<int64_t>(n_tensors, 1024)));
  for (int64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo& t = tensors_.emplace_back();
    BITGATE_RETURN_IF_ERROR(c.ReadString(&t.name, "tensor info " + std::to_string(i) + " (name)"));
    const std::string where = "tensor '" + t.name + "'";
    if (tensor_index_.count(t.name)) return Status::Error(where + ": duplicate tensor name");
    tensor_index_.emplace(t.name, i);
    uint32_t n_dims = 0;
    BITGATE_RETURN_IF_ERROR(c.Read(&n_dims, where + " (n_dims)"));
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      return Status::Error(where + ": n_dims " + std::to_string(n_dims) + " not in 1.." +
                           std::to_string(kGgufMaxDims));
    }
    t.ne.resize(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      BITGATE_RETURN_IF_ERROR(c.Read(&t.ne[d], where + " (ne[" + std::to_string(d) + "])"));
      if (t.ne[d] < 0) {
        return Status::Error(where + ": negative dimension ne[" + std::to_string(d) + "] = " +
                             std::to_string(t.ne[d]));
      }
    }
    int32_t type = 0;
    BITGATE_RETURN_IF_ERROR(c.Read(&type, where + " (type)"));
    BITGATE_RETURN_IF_ERROR(c.Read(&t.offset, where + " (offset)"));
    t.ggml_type = type;
    auto fmt = kernels::FormatFromGgmlType(type);
    if (auto retired = kernels::RetiredGgmlType(type)) return Status::Error(where + ": " + *retired);
    if (!fmt) {
      return Status::Error(where + ": unsupported ggml tensor type " + std::to_string(type) +
                           " (supported: f32, f16, bf16, tq1_0, tq2_0, i2_s and bitgate's i2s/tl1/tl2)");
    }
    t.format = *fmt;
    t.cols = t.ne[0];
    t.rows = 1;
    for (uint32_t d = 1; d < n_dims; ++d) {
      auto r = CheckedMul(t.rows, t.ne[d], "row count");
      if (!r.ok()) return r.status().WithContext(where + " shape " + t.ShapeString());
      t.rows = *r;
    }
    auto n = CheckedMul(t.rows, t.cols, "element count");
    if (!n.ok()) return n.status().WithContext(where + " shape " + t.ShapeString());
    t.n_elements = *n;
    auto bytes = kernels::TensorBytes(t.format, t.rows, t.cols);
    if (!bytes.ok()) return bytes.status().WithContext(where + " shape " + t.ShapeString());
    t.n_bytes = *bytes;
    if (t.offset % alignment_ != 0) {
      return Status::Error(where + ": offset " + std::to_string(t.offset) +
                           " is not a multiple of the alignment " + std::to_string(alignment_));
    }
  }

  // The data section starts at the end of the infos, rounded up.
  const uint64_t infos_end = c.pos();
  // infos_end <= size_ (the cursor never reads past the end), so this
  // cannot overflow.
  data_offset_ = (infos_end + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > size_) {
    if (n_tensors > 0) {
      return Status::Error("data section offset " + std::to_string(data_offset_) +
                           " is past end of file (size " + std::to_string(size_) + ")");
    }
    // No tensors, so no data section: a writer may end the file without
    // the padding, and the offset reported is then the end of the file.
    data_offset_ = size_;
  }

  // Bounds: offset + bytes within the file, computed without overflow.
  for (GgufTensorInfo& t : tensors_) {
    const uint64_t avail = size_ >= data_offset_ ? size_ - data_offset_ : 0;
    const uint64_t nb = static_cast<uint64_t>(t.n_bytes);
    if (t.offset > avail || nb > avail - t.offset) {
      return Status::Error("tensor '" + t.name + "': offset " + std::to_string(t.offset) + " + " +
                           std::to_string(nb) + " bytes past end of file (data section is " +
                           std::to_string(avail) + " bytes at offset " +
                           std::to_string(data_offset_) + ", file size " + std::to_string(size_) +
                           ")");
    }
    t.file_offset = data_offset_ + t.offset;
    t.data = std::span<const uint8_t>(data_ + t.file_offset, nb);
  }

  // Tensors must not overlap (a hostile file could alias one tensor's
  // bytes as another's).
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(tensors_.size());
  for (const auto& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo* prev = by_offset[i - 1];
    if (prev->offset + static_cast<uint64_t>(prev->n_bytes) > by_offset[i]->offset) {
      return Status::Error("tensor '" + by_offset[i]->name + "' at offset " +
                           std::to_string(by_offset[i]->offset) + " overlaps tensor '" +
                           prev->name + "' (offset " + std::to_string(prev->offset) + ", " +
                           std::to_string(prev->n_bytes) + " bytes)");
    }
  }
  return Status::Ok();
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<const GgufTensorInfo*> GgufFile::GetTensor(std::string_view name) const {
  const GgufTensorInfo* t = FindTensor(name);
  if (t == nullptr) return Status::Error("missing tensor " + std::string(name));
  return t;
}

Result<const GgufTensorInfo*> GgufFile::GetTensor(std::string_view name,
                                                  std::initializer_list<int64_t> ne) const {
  auto t = GetTensor(name);
  if (!t.ok()) return t;
  auto trimmed = [](std::vector<int64_t> v) {
    while (v.size() > 1 && v.back() == 1) v.pop_back();
    return v;
  };
  const std::vector<int64_t> want = trimmed(std::vector<int64_t>(ne));
  if (trimmed((*t)->ne) != want) {
    GgufTensorInfo expected;
    expected.ne = want;
    return Status::Error("tensor '" + std::string(name) + "' has shape " + (*t)->ShapeString() +
                         ", expected " + expected.ShapeString());
  }
  return t;
}

}  // namespace bitgate::engine
