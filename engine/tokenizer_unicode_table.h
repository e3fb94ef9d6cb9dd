// Unicode letter / number classes above ASCII (a generated table, see
// tokenizer_unicode_table.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bitgate::engine {

enum class CodepointClass : uint8_t { kOther, kLetter, kNumber };

struct CodepointRange {
  uint32_t lo;
  uint32_t hi;
  CodepointClass cls;
};

// Binary search over ~780 sorted ranges; callers handle ASCII themselves.
CodepointClass LookupCodepointClass(uint32_t cp);
size_t CodepointRangeCount();

}  // namespace bitgate::engine
