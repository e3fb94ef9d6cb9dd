// Overflow-checked size arithmetic for shapes and byte counts.
//
// Every element count and byte size derived from untrusted input (a GGUF
// header, a command line) goes through these helpers: an overflow is an
// error with a message, never a silent wrap.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "kernels/base/status.h"

namespace bitgate {

inline Result<int64_t> CheckedMul(int64_t a, int64_t b, const char* what = "size") {
  int64_t r = 0;
  if (a < 0 || b < 0) {
    return Status::Error(std::string(what) + ": negative factor " + std::to_string(a < 0 ? a : b));
  }
  if (__builtin_mul_overflow(a, b, &r)) {
    return Status::Error(std::string(what) + ": " + std::to_string(a) + " x " + std::to_string(b) +
                         " overflows 64-bit");
  }
  return r;
}

inline Result<int64_t> CheckedAdd(int64_t a, int64_t b, const char* what = "size") {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return Status::Error(std::string(what) + ": " + std::to_string(a) + " + " + std::to_string(b) +
                         " overflows 64-bit");
  }
  return r;
}

// Product of non-negative dimensions, checked.
inline Result<int64_t> CheckedProduct(std::initializer_list<int64_t> dims,
                                      const char* what = "element count") {
  int64_t r = 1;
  for (int64_t d : dims) {
    auto m = CheckedMul(r, d, what);
    if (!m.ok()) return m.status();
    r = *m;
  }
  return r;
}

}  // namespace bitgate
