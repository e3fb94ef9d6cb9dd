#include "engine/gguf_metadata.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace bitgate::engine {
namespace {

template <typename T>
uint64_t Bits(T v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));  // little-endian host (x86-64, arm64)
  return bits;
}

template <typename T>
T FromBits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

template <typename T>
T LoadLe(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Reads element `i` of an integer scalar or array payload as a 128-bit-safe
// pair (negative flag, magnitude) folded into int64 / uint64 checks below.
struct IntValue {
  bool negative = false;
  uint64_t magnitude = 0;  // absolute value
};

IntValue IntFromBits(GgufType t, uint64_t bits) {
  auto signed_value = [](int64_t v) {
    IntValue r;
    r.negative = v < 0;
    r.magnitude = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    return r;
  };
  switch (t) {
    case GgufType::kU8: return {false, FromBits<uint8_t>(bits)};
    case GgufType::kU16: return {false, FromBits<uint16_t>(bits)};
    case GgufType::kU32: return {false, FromBits<uint32_t>(bits)};
    case GgufType::kU64: return {false, bits};
    case GgufType::kBool: return {false, FromBits<uint8_t>(bits)};
    case GgufType::kI8: return signed_value(FromBits<int8_t>(bits));
    case GgufType::kI16: return signed_value(FromBits<int16_t>(bits));
    case GgufType::kI32: return signed_value(FromBits<int32_t>(bits));
    case GgufType::kI64: return signed_value(FromBits<int64_t>(bits));
    default: return {};
  }
}

template <typename T>
Result<T> IntAs(std::string_view key, IntValue v) {
  const bool fits =
      v.negative ? (std::numeric_limits<T>::is_signed &&
                    v.magnitude <= uint64_t(std::numeric_limits<T>::max()) + 1)
                 : v.magnitude <= uint64_t(std::numeric_limits<T>::max());
  if (!fits) {
    std::string msg = "key " + std::string(key) + ": value ";
    if (v.negative) msg += '-';
    msg += std::to_string(v.magnitude);
    msg += " out of range for the requested type";
    return Status::Error(msg);
  }
  if (v.negative) return static_cast<T>(-static_cast<int64_t>(v.magnitude - 1) - 1);
  return static_cast<T>(v.magnitude);
}

Status TypeError(std::string_view key, const GgufValue& v, const char* expected) {
  return Status::Error("key " + std::string(key) + " has type " + v.TypeString() + ", expected " +
                       expected);
}

// An f64 read as f32: outside the f32 range the conversion is undefined.
Result<float> F32FromF64(std::string_view key, double d) {
  if (std::isfinite(d) && std::fabs(d) > double(std::numeric_limits<float>::max())) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", d);
    return Status::Error("key " + std::string(key) + ": f64 value " + value + " is outside the f32 range");
  }
  return static_cast<float>(d);
}

template <typename T>
Result<T> GetInt(const GgufMetadata& md, std::string_view key, const char* expected) {
  auto v = md.Get(key);
  if (!v.ok()) return v.status();
  if (!GgufTypeIsInteger((*v)->type)) return TypeError(key, **v, expected);
  return IntAs<T>(key, IntFromBits((*v)->type, (*v)->scalar));
}

}  // namespace

const char* GgufTypeName(GgufType t) {
  switch (t) {
    case GgufType::kU8: return "u8";
    case GgufType::kI8: return "i8";
    case GgufType::kU16: return "u16";
    case GgufType::kI16: return "i16";
    case GgufType::kU32: return "u32";
    case GgufType::kI32: return "i32";
    case GgufType::kF32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kU64: return "u64";
    case GgufType::kI64: return "i64";
    case GgufType::kF64: return "f64";
  }
  return "invalid";
}

int GgufScalarSize(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kBool: return 1;
    case GgufType::kU16: case GgufType::kI16: return 2;
    case GgufType::kU32: case GgufType::kI32: case GgufType::kF32: return 4;
    case GgufType::kU64: case GgufType::kI64: case GgufType::kF64: return 8;
    case GgufType::kString: case GgufType::kArray: return 0;
  }
  return 0;
}

bool GgufTypeIsValid(int32_t raw) { return raw >= 0 && raw <= 12; }

bool GgufTypeIsInteger(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kU16: case GgufType::kI16:
    case GgufType::kU32: case GgufType::kI32: case GgufType::kU64: case GgufType::kI64:
      return true;
    default:
      return false;
  }
}

GgufValue GgufValue::U8(uint8_t v) { GgufValue r; r.type = GgufType::kU8; r.scalar = Bits(v); return r; }
GgufValue GgufValue::I8(int8_t v) { GgufValue r; r.type = GgufType::kI8; r.scalar = Bits(v); return r; }
GgufValue GgufValue::U16(uint16_t v) { GgufValue r; r.type = GgufType::kU16; r.scalar = Bits(v); return r; }
GgufValue GgufValue::I16(int16_t v) { GgufValue r; r.type = GgufType::kI16; r.scalar = Bits(v); return r; }
GgufValue GgufValue::U32(uint32_t v) { GgufValue r; r.type = GgufType::kU32; r.scalar = Bits(v); return r; }
GgufValue GgufValue::I32(int32_t v) { GgufValue r; r.type = GgufType::kI32; r.scalar = Bits(v); return r; }
GgufValue GgufValue::U64(uint64_t v) { GgufValue r; r.type = GgufType::kU64; r.scalar = v; return r; }
GgufValue GgufValue::I64(int64_t v) { GgufValue r; r.type = GgufType::kI64; r.scalar = Bits(v); return r; }
GgufValue GgufValue::F32(float v) { GgufValue r; r.type = GgufType::kF32; r.scalar = Bits(v); return r; }
GgufValue GgufValue::F64(double v) { GgufValue r; r.type = GgufType::kF64; r.scalar = Bits(v); return r; }
GgufValue GgufValue::Bool(bool v) { GgufValue r; r.type = GgufType::kBool; r.scalar = v ? 1 : 0; return r; }

GgufValue GgufValue::String(std::string v) {
  GgufValue r;
  r.type = GgufType::kString;
  r.str = std::move(v);
  return r;
}

GgufValue GgufValue::StringArray(std::vector<std::string> v) {
  GgufValue r;
  r.type = GgufType::kArray;
  r.elem_type = GgufType::kString;
  r.strings = std::move(v);
  return r;
}

GgufValue GgufValue::ScalarArray(GgufType elem_type, std::vector<uint8_t> raw_bytes) {
  BITGATE_CHECK(GgufScalarSize(elem_type) > 0);
  BITGATE_CHECK(raw_bytes.size() % GgufScalarSize(elem_type) == 0);
  GgufValue r;
  r.type = GgufType::kArray;
  r.elem_type = elem_type;
  r.raw = std::move(raw_bytes);
  return r;
}

template <typename T>
static std::vector<uint8_t> RawOf(std::span<const T> v) {
  std::vector<uint8_t> raw(v.size_bytes());
  if (!v.empty()) std::memcpy(raw.data(), v.data(), raw.size());
  return raw;
}

GgufValue GgufValue::I32Array(std::span<const int32_t> v) { return ScalarArray(GgufType::kI32, RawOf(v)); }
GgufValue GgufValue::U32Array(std::span<const uint32_t> v) { return ScalarArray(GgufType::kU32, RawOf(v)); }
GgufValue GgufValue::F32Array(std::span<const float> v) { return ScalarArray(GgufType::kF32, RawOf(v)); }

uint64_t GgufValue::array_size() const {
  if (!is_array()) return 0;
  if (elem_type == GgufType::kString) return strings.size();
  return raw.size() / GgufScalarSize(elem_type);
}

std::string GgufValue::TypeString() const {
  if (!is_array()) return GgufTypeName(type);
  return std::string("array[") + GgufTypeName(elem_type) + "]";
}

namespace {

std::string ScalarToString(GgufType t, uint64_t bits) {
  switch (t) {
    case GgufType::kF32: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.9g", double(FromBits<float>(bits)));
      return buf;
    }
    case GgufType::kF64: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", FromBits<double>(bits));
      return buf;
    }
    case GgufType::kBool: return bits ? "true" : "false";
    default: {
      IntValue v = IntFromBits(t, bits);
      std::string out;
      if (v.negative) out += '-';
      out += std::to_string(v.magnitude);
      return out;
    }
  }
}

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string GgufValue::ToDisplayString(size_t max_elems) const {
  if (type == GgufType::kString) return Quoted(str);
  if (!is_array()) return ScalarToString(type, scalar);
  const uint64_t n = array_size();
  std::string out = "[";
  for (uint64_t i = 0; i < n && i < max_elems; ++i) {
    if (i) out += ", ";
    if (elem_type == GgufType::kString) {
      out += Quoted(strings[i]);
    } else {
      const int sz = GgufScalarSize(elem_type);
      uint64_t bits = 0;
      std::memcpy(&bits, raw.data() + i * sz, sz);
      out += ScalarToString(elem_type, bits);
    }
  }
  if (n > max_elems) out += ", ... (" + std::to_string(n) + " total)";
  return out + "]";
}

void GgufMetadata::Set(std::string key, GgufValue value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

Status GgufMetadata::Add(std::string key, GgufValue value) {
  if (index_.count(key)) return Status::Error("duplicate key '" + key + "'");
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
  return Status::Ok();
}

bool GgufMetadata::Erase(std::string_view key) {
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  return true;
}

const GgufValue* GgufMetadata::Find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

Result<const GgufValue*> GgufMetadata::Get(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Status::Error("missing key " + std::string(key));
  return v;
}

Result<uint32_t> GgufMetadata::GetU32(std::string_view key) const { return GetInt<uint32_t>(*this, key, "u32"); }
Result<int32_t> GgufMetadata::GetI32(std::string_view key) const { return GetInt<int32_t>(*this, key, "i32"); }
Result<uint64_t> GgufMetadata::GetU64(std::string_view key) const { return GetInt<uint64_t>(*this, key, "u64"); }
Result<int64_t> GgufMetadata::GetI64(std::string_view key) const { return GetInt<int64_t>(*this, key, "i64"); }

Result<double> GgufMetadata::GetF64(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  if ((*v)->type == GgufType::kF32) return double(FromBits<float>((*v)->scalar));
  if ((*v)->type == GgufType::kF64) return FromBits<double>((*v)->scalar);
  return TypeError(key, **v, "f32 or f64");
}

Result<float> GgufMetadata::GetF32(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  if ((*v)->type == GgufType::kF32) return FromBits<float>((*v)->scalar);
  if ((*v)->type == GgufType::kF64) return F32FromF64(key, FromBits<double>((*v)->scalar));
  return TypeError(key, **v, "f32");
}

Result<bool> GgufMetadata::GetBool(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  if ((*v)->type != GgufType::kBool) return TypeError(key, **v, "bool");
  return (*v)->scalar != 0;
}

Result<std::string> GgufMetadata::GetString(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  if ((*v)->type != GgufType::kString) return TypeError(key, **v, "string");
  return (*v)->str;
}

Result<std::span<const std::string>> GgufMetadata::GetStringArray(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  if (!(*v)->is_array() || (*v)->elem_type != GgufType::kString) {
    return TypeError(key, **v, "array[string]");
  }
  return std::span<const std::string>((*v)->strings);
}

Result<std::vector<int64_t>> GgufMetadata::GetIntArray(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  const GgufValue& val = **v;
  if (!val.is_array() || !GgufTypeIsInteger(val.elem_type)) {
    return TypeError(key, val, "array of integers");
  }
  const int sz = GgufScalarSize(val.elem_type);
  std::vector<int64_t> out(val.array_size());
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, val.raw.data() + i * sz, sz);
    auto x = IntAs<int64_t>(key, IntFromBits(val.elem_type, bits));
    if (!x.ok()) return x.status();
    out[i] = *x;
  }
  return out;
}

Result<std::vector<int32_t>> GgufMetadata::GetI32Array(std::string_view key) const {
  auto wide = GetIntArray(key);
  if (!wide.ok()) return wide.status();
  std::vector<int32_t> out(wide->size());
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t x = (*wide)[i];
    if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
      return Status::Error("key " + std::string(key) + ": element " + std::to_string(i) +
                           " value " + std::to_string(x) + " out of range for i32");
    }
    out[i] = static_cast<int32_t>(x);
  }
  return out;
}

Result<std::vector<float>> GgufMetadata::GetF32Array(std::string_view key) const {
  auto v = Get(key);
  if (!v.ok()) return v.status();
  const GgufValue& val = **v;
  if (!val.is_array() || (val.elem_type != GgufType::kF32 && val.elem_type != GgufType::kF64)) {
    return TypeError(key, val, "array[f32]");
  }
  std::vector<float> out(val.array_size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (val.elem_type == GgufType::kF32) {
      out[i] = LoadLe<float>(val.raw.data() + i * 4);
      continue;
    }
    auto f = F32FromF64(std::string(key) + "[" + std::to_string(i) + "]", LoadLe<double>(val.raw.data() + i * 8));
    if (!f.ok()) return f.status();
    out[i] = *f;
  }
  return out;
}

Result<uint32_t> GgufMetadata::GetU32Or(std::string_view key, uint32_t def) const {
  return Has(key) ? GetU32(key) : Result<uint32_t>(def);
}
Result<float> GgufMetadata::GetF32Or(std::string_view key, float def) const {
  return Has(key) ? GetF32(key) : Result<float>(def);
}
Result<bool> GgufMetadata::GetBoolOr(std::string_view key, bool def) const {
  return Has(key) ? GetBool(key) : Result<bool>(def);
}
Result<std::string> GgufMetadata::GetStringOr(std::string_view key, std::string def) const {
  return Has(key) ? GetString(key) : Result<std::string>(std::move(def));
}

}  // namespace bitgate::engine
