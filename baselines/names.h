// Names from imported files (suites, benchmarks, params, measures, units)
// end up in printf, fnmatch and the ledgers: a NUL or another control byte
// would cut one short there, so that thresholds and annotations meant for
// one benchmark match another. Imports refuse them.
#pragma once

#include <algorithm>
#include <string_view>

namespace bitgate::baselines {

inline bool HasControlByte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace bitgate::baselines
