// Error statistics of a reconstruction against its reference, as the
// accuracy tests and the accuracy gate report them.
#pragma once

#include <cstdint>

namespace bitgate::kernels {

struct ErrorStats {
  double cosine = 0.0;        // <ref, got> / (|ref| |got|); 1 when both are zero
  double rel_l2 = 0.0;        // |got - ref| / |ref|
  double snr_db = 0.0;        // 10 log10(|ref|^2 / |got - ref|^2), capped at 200 dB
  double max_abs_err = 0.0;
  // "accuracy %": 100 * max(0, 1 - rel_l2), the share of the signal's
  // energy-norm the reconstruction gets right (docs/GATES.md, the accuracy gate: a summary figure, not a stored measure).
  double accuracy_pct = 0.0;
};

ErrorStats CompareSignals(const float* ref, const float* got, int64_t n);

}  // namespace bitgate::kernels
