#include "reports/format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bitgate::reports {
namespace {

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace

std::string FormatValue(double value, const std::string& unit) {
  if (unit == "ns") {
    const double a = std::fabs(value);
    if (a >= 1e9) return Printf("%.4g s", value / 1e9);
    if (a >= 1e6) return Printf("%.4g ms", value / 1e6);
    if (a >= 1e3) return Printf("%.4g us", value / 1e3);
    return Printf("%.4g ns", value);
  }
  return Printf("%.4g", value) + (unit.empty() || unit == "1" ? "" : " " + unit);
}

std::string FormatP(double p) {
  if (p >= 0.9995) return "1";
  if (p >= 0.01) return Printf("%.2g", p);
  // "4e-04" -> "4e-4": the exponent without padding.
  std::string s = Printf("%.0e", p);
  const auto e = s.find('e');
  if (e == std::string::npos) return s;
  const int exponent = std::atoi(s.c_str() + e + 1);
  return s.substr(0, e) + "e" + std::to_string(exponent);
}

std::string FormatPercent(double fraction) {
  if (!std::isfinite(fraction)) return "inf";
  return Printf("%.1f%%", 100.0 * fraction);
}

std::string FormatRatio(double ratio) { return Printf("x%.3f", ratio); }

}  // namespace bitgate::reports
