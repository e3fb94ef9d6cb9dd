// Internal: per-ISA kernels of activation quantization
// (Activations::Quantize). Every path gives the scalar rule's bytes:
//   m = the largest finite |x| (NaN and +-Inf left out), s = 127 / max(m, 1e-5)
//   q = clamp(round_half_even(x * s), -127, 127), NaN -> 0, +-Inf -> +-127
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/cpu.h"

namespace bitgate::kernels::internal {

using AbsMaxFiniteFn = float (*)(const float* x, int64_t k);
using QuantizeRowFn = void (*)(const float* x, int64_t k, float s, int8_t* q);

struct ActivationKernels {
  AbsMaxFiniteFn absmax;
  QuantizeRowFn quantize_row;
};

// The scalar rule for one value (the reference, and the SIMD tails).
inline int8_t QuantizeActivationScalar(float x, float s) {
  const float scaled = std::isnan(x) ? 0.0f : x * s;
  const float v = std::nearbyint(scaled);
  return static_cast<int8_t>(v < -127.0f ? -127.0f : v > 127.0f ? 127.0f : v);
}

float AbsMaxFiniteScalar(const float* x, int64_t k);
void QuantizeRowScalar(const float* x, int64_t k, float s, int8_t* q);
float AbsMaxFiniteAvx2(const float* x, int64_t k);
void QuantizeRowAvx2(const float* x, int64_t k, float s, int8_t* q);
float AbsMaxFiniteAvx512(const float* x, int64_t k);
void QuantizeRowAvx512(const float* x, int64_t k, float s, int8_t* q);

// The kernels for `isa` (which this CPU must support).
ActivationKernels ActivationKernelsFor(Isa isa);

}  // namespace bitgate::kernels::internal
