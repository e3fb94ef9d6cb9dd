// GGUF metadata: typed key/value pairs, shared by the reader and the writer.
//
// Values are owned copies (a 128k-token vocabulary is about 1 MB), kept in
// file order so a file read and written back is byte-identical. Accessors
// return Result with "missing key X" / "key X has type T, expected U".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/base/status.h"

namespace bitgate::engine {

// GGUF value type ids (gguf.h: GGUF_TYPE_*).
enum class GgufType : int32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

const char* GgufTypeName(GgufType t);
// Bytes of one scalar of type t; 0 for string and array.
int GgufScalarSize(GgufType t);
bool GgufTypeIsValid(int32_t raw);
bool GgufTypeIsInteger(GgufType t);

// One metadata value. Scalars keep their raw little-endian bits in
// `scalar`; arrays of scalars keep their raw element bytes in `raw`;
// arrays of strings keep `strings`. Nested arrays are not supported (no
// known model uses them; the reader rejects them with an error).
struct GgufValue {
  GgufType type = GgufType::kU8;
  GgufType elem_type = GgufType::kU8;  // arrays only
  uint64_t scalar = 0;
  std::string str;
  std::vector<uint8_t> raw;
  std::vector<std::string> strings;

  static GgufValue U8(uint8_t v);
  static GgufValue I8(int8_t v);
  static GgufValue U16(uint16_t v);
  static GgufValue I16(int16_t v);
  static GgufValue U32(uint32_t v);
  static GgufValue I32(int32_t v);
  static GgufValue U64(uint64_t v);
  static GgufValue I64(int64_t v);
  static GgufValue F32(float v);
  static GgufValue F64(double v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue StringArray(std::vector<std::string> v);
  static GgufValue I32Array(std::span<const int32_t> v);
  static GgufValue U32Array(std::span<const uint32_t> v);
  static GgufValue F32Array(std::span<const float> v);
  // An array of any scalar type from its raw little-endian element bytes.
  static GgufValue ScalarArray(GgufType elem_type, std::vector<uint8_t> raw_bytes);

  bool is_array() const { return type == GgufType::kArray; }
  uint64_t array_size() const;
  // "u32", "string", "array[f32]".
  std::string TypeString() const;
  // Short human-readable rendering (arrays abbreviated), for `gguf dump`.
  std::string ToDisplayString(size_t max_elems = 8) const;

  bool operator==(const GgufValue& o) const = default;
};

// Ordered key/value store with unique keys.
class GgufMetadata {
 public:
  // Adds or replaces `key` (a replaced key keeps its position).
  void Set(std::string key, GgufValue value);
  // Adds a new key; error if it already exists (the reader uses this so
  // duplicate keys in a file are rejected).
  Status Add(std::string key, GgufValue value);
  bool Erase(std::string_view key);

  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  const GgufValue* Find(std::string_view key) const;
  Result<const GgufValue*> Get(std::string_view key) const;  // "missing key X"
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }

  // Integer accessors accept any integer type whose value fits the target
  // (writers disagree on u32 vs i32 for ids); floats accept f32 or f64.
  Result<uint32_t> GetU32(std::string_view key) const;
  Result<int32_t> GetI32(std::string_view key) const;
  Result<uint64_t> GetU64(std::string_view key) const;
  Result<int64_t> GetI64(std::string_view key) const;
  Result<float> GetF32(std::string_view key) const;
  Result<double> GetF64(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<std::string> GetString(std::string_view key) const;
  Result<std::span<const std::string>> GetStringArray(std::string_view key) const;
  Result<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  Result<std::vector<int32_t>> GetI32Array(std::string_view key) const;
  Result<std::vector<float>> GetF32Array(std::string_view key) const;

  // The accessors above with a default for a missing key (a present key of
  // the wrong type is still an error).
  Result<uint32_t> GetU32Or(std::string_view key, uint32_t def) const;
  Result<float> GetF32Or(std::string_view key, float def) const;
  Result<bool> GetBoolOr(std::string_view key, bool def) const;
  Result<std::string> GetStringOr(std::string_view key, std::string def) const;

  bool operator==(const GgufMetadata& o) const { return entries_ == o.entries_; }

 private:
  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace bitgate::engine
