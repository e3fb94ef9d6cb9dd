#include "kernels/ref/ref_common.h"

namespace bitgate::kernels::internal {

float TernaryTensorScale(const float* x, int64_t n) {
  float magnitude = 0.0f;
  bool single_magnitude = true;
  double abs_sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    abs_sum += a;
    if (a == 0.0f) continue;
    if (magnitude == 0.0f) {
      magnitude = a;
    } else if (a != magnitude) {
      single_magnitude = false;
    }
  }
  if (magnitude == 0.0f) return 0.0f;  // all zeros
  if (single_magnitude) return magnitude;
  const float mean = std::max(static_cast<float>(abs_sum / static_cast<double>(n)), 1e-5f);
  const float inv = 1.0f / mean;
  return 1.0f / inv;
}

}  // namespace bitgate::kernels::internal
