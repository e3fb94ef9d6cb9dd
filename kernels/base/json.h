// Reading untrusted JSON (result files, Google Benchmark output, receipts,
// stored pipeline records and gate outcomes): one parse with a nesting
// limit, and member access by reference; and writing it without throwing
// on text that is not UTF-8.
//
// nlohmann::json parses and destroys without recursion, but copying,
// comparing or printing a value recurses once per nesting level, and so
// does json::value(key, default), which returns a copy: a 400 KB file of
// 200 000 nested brackets overflows the stack. Every bitgate document is a
// few levels deep, so deeper input is refused before it is parsed, and
// sub-documents are read through JsonMember (no copy).
//
// Header-only: include it only from code that links nlohmann_json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kernels/base/status.h"

namespace bitgate {

inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; errors name `source` (a file name) and the byte: a syntax
// error or truncation, nesting deeper than kMaxJsonDepth, or a number out
// of range (1e999).
inline Result<nlohmann::json> ParseJson(std::string_view text, const std::string& source) {
  // Brackets outside strings; the parser below checks the syntax.
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return Status::Error(source + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                             " levels at byte " + std::to_string(i + 1));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {  // e.byte locates a truncation or a syntax error
    return Status::Error(source + ": malformed JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number such as 1e999
    return Status::Error(source + ": malformed JSON: " + e.what() + " (not finite)");
  }
}

// `j` pretty-printed (2 spaces) for a report, record or result file. Names
// and messages may hold any bytes (benchmark output, file names, fuzzed
// inputs): bytes that are not UTF-8 become U+FFFD instead of nlohmann's
// type_error.316, which would lose the whole file.
inline std::string DumpJson(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// obj[key] by reference; null when `obj` is not an object or has no `key`.
inline const nlohmann::json& JsonMember(const nlohmann::json& obj, std::string_view key) {
  static const nlohmann::json kNull;
  if (!obj.is_object()) return kNull;
  const auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

// The integer obj[key] when it lies in [lo, hi]; `fallback` when the key is
// absent or null (an error without one). Anything else is an error naming
// `where`, the key and the value: a string, a fraction, or an integer out
// of range (read unchecked, 2^32 + 2 would become 2 as an int).
inline Result<int64_t> JsonInteger(const nlohmann::json& obj, std::string_view key, int64_t lo, int64_t hi,
                                   const std::string& where, std::optional<int64_t> fallback = std::nullopt) {
  const nlohmann::json& v = JsonMember(obj, key);
  if (v.is_null()) {
    if (fallback) return *fallback;
    return Status::Error(where + ": missing '" + std::string(key) + "'");
  }
  bool in_range = false;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    in_range = hi >= 0 && u <= static_cast<uint64_t>(hi) && (lo <= 0 || u >= static_cast<uint64_t>(lo));
  } else if (v.is_number_integer()) {
    in_range = v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
  }
  if (!in_range)
    return Status::Error(where + ": '" + std::string(key) + "' is " + v.dump() + ", not an integer in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v.get<int64_t>();
}

}  // namespace bitgate
