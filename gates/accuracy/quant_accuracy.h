// Kernel-level accuracy for the accuracy gate:
//  - per format and data pattern, the quantize/dequantize round trip on the
//    scalar reference (cosine, relative L2, SNR, accuracy %), one sample per
//    pattern seed, with per-(format, pattern) floors;
//  - every SIMD path this machine has against the scalar reference:
//    quantized bytes and dequantized floats bit-exact, matrix products within
//    1e-5 * sum|w x| + 1e-6 of the exact product (docs/KERNELS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/accuracy.h"
#include "kernels/cpu.h"
#include "kernels/format.h"
#include "kernels/patterns.h"

namespace bitgate::gates::accuracy {

struct QuantFloor {
  double min_cosine = 0;
  double min_snr_db = 0;
};

// The floor a working kernel clears with margin on this data; a broken
// one (garbage, zeros, wrong scales) cannot.
QuantFloor FloorFor(kernels::Format f, kernels::Pattern p);

struct QuantAccuracy {
  kernels::Format format;
  kernels::Pattern pattern;
  std::vector<kernels::ErrorStats> per_seed;  // first repetition, one per pattern seed
  // One per repetition: the mean over the seeds. The computation is
  // deterministic, so these are equal (checked); they are the measure's
  // samples, which makes an unchanged figure an exact PASS against its
  // baseline and any change a confirmed difference.
  std::vector<kernels::ErrorStats> per_repetition;
  QuantFloor floor;
  std::string failure;  // "" when every seed clears the floor and repetitions agree
};

// Formats the gate measures: every format except f32 (an identity).
std::vector<kernels::Format> MeasuredFormats();

// rows x cols tensors (cols a multiple of 256, so every format accepts it),
// `seeds` tensors per (format, pattern), measured `repetitions` times.
std::vector<QuantAccuracy> MeasureQuantAccuracy(int seeds, int repetitions, int64_t rows, int64_t cols);

struct SimdCheck {
  kernels::Format format;
  kernels::Isa isa;            // the path asked for
  kernels::Isa implemented;    // the path that ran (ImplementedIsa)
  int64_t quant_byte_mismatches = 0;
  double dequant_max_abs_diff = 0;
  double matmul_max_abs_diff = 0;    // vs the scalar path
  double matmul_max_tol_ratio = 0;   // max |got - exact| / tolerance (<= 1 passes)
  std::string failure;
};

// One row per (format, supported path), the scalar path included (its
// matrix product against the exact one).
std::vector<SimdCheck> CheckSimdPaths(uint64_t seed);

}  // namespace bitgate::gates::accuracy
