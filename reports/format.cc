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
  // SI prefixes keep rates readable: 6.657e+05 items/s -> 665.7k items/s.
  const std::string suffix = unit.empty() || unit == "1" ? "" : " " + unit;
  const double a = std::fabs(value);
  if (a >= 1e12) return Printf("%.4g", value) + suffix;
  if (a >= 1e9) return Printf("%.4gG", value / 1e9) + suffix;
  if (a >= 1e6) return Printf("%.4gM", value / 1e6) + suffix;
  if (a >= 1e4) return Printf("%.4gk", value / 1e3) + suffix;
  return Printf("%.4g", value) + suffix;
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
  // One decimal, without a trailing ".0": "3%", "1.6%".
  std::string s = Printf("%.1f", 100.0 * fraction);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s + "%";
}

std::string FormatRatio(double ratio) { return Printf("x%.3f", ratio); }

}  // namespace bitgate::reports
