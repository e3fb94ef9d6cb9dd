// Helpers shared by the kernel tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/cpu.h"

namespace bitgate::kernels::testing {

inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::vector<float> ReadF32(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

inline std::string GoldenPath(const std::string& rel) {
  return std::string(BITGATE_TEST_DATA) + "/golden/" + rel;
}

// Every SIMD path this machine can run (the scalar reference excluded).
inline std::vector<Isa> SupportedSimdIsas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512})
    if (IsaSupported(isa)) out.push_back(isa);
  return out;
}

}  // namespace bitgate::kernels::testing
