#include "kernels/accuracy.h"

#include <algorithm>
#include <cmath>

namespace bitgate::kernels {

ErrorStats CompareSignals(const float* ref, const float* got, int64_t n) {
  double rr = 0, gg = 0, rg = 0, ee = 0, max_err = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double r = ref[i], g = got[i], e = g - r;
    rr += r * r;
    gg += g * g;
    rg += r * g;
    ee += e * e;
    max_err = std::max(max_err, std::fabs(e));
  }
  ErrorStats s;
  s.cosine = (rr == 0 && gg == 0) ? 1.0 : (rr == 0 || gg == 0) ? 0.0 : rg / std::sqrt(rr * gg);
  s.rel_l2 = rr == 0 ? (ee == 0 ? 0.0 : INFINITY) : std::sqrt(ee / rr);
  // A NaN reconstruction has no SNR (std::min(200, NaN) read 200 dB).
  s.snr_db = std::isnan(ee) ? std::nan("") : ee == 0 ? 200.0 : std::min(200.0, 10.0 * std::log10(rr / ee));
  s.max_abs_err = max_err;
  s.accuracy_pct = 100.0 * std::max(0.0, 1.0 - s.rel_l2);
  return s;
}

}  // namespace bitgate::kernels
