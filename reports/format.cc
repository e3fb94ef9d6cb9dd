#include "reports/format.h"

#include <algorithm>
#include <cctype>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bitgate::reports {
namespace {

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace

namespace {
// `value` in `unit` with `digits` significant digits.
std::string FormatValueDigits(double value, const std::string& unit, int digits) {
  const auto g = [&](double v, const char* tail) {
    char format[16];
    std::snprintf(format, sizeof format, "%%.%dg", digits);
    std::string s = Printf(format, v);
    s += tail;
    return s;
  };
  if (unit == "ns") {
    const double a = std::fabs(value);
    if (a >= 1e9) return g(value / 1e9, " s");
    if (a >= 1e6) return g(value / 1e6, " ms");
    if (a >= 1e3) return g(value / 1e3, " us");
    return g(value, " ns");
  }
  // SI prefixes keep rates readable: 6.657e+05 items/s -> 665.7k items/s.
  const std::string suffix = unit.empty() || unit == "1" ? "" : " " + unit;
  const double a = std::fabs(value);
  if (a >= 1e12) return g(value, "") + suffix;
  if (a >= 1e9) return g(value / 1e9, "G") + suffix;
  if (a >= 1e6) return g(value / 1e6, "M") + suffix;
  if (a >= 1e4) return g(value / 1e3, "k") + suffix;
  return g(value, "") + suffix;
}
}  // namespace

std::string FormatValue(double value, const std::string& unit) { return FormatValueDigits(value, unit, 4); }

std::string FormatValueBeside(double value, double threshold, const std::string& unit) {
  const std::string plain = FormatValue(value, unit);
  if (value == threshold || plain != FormatValue(threshold, unit)) return plain;
  for (int digits = 5; digits <= 15; ++digits) {
    const std::string s = FormatValueDigits(value, unit, digits);
    if (s != FormatValueDigits(threshold, unit, digits)) return s;
  }
  return plain;
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

std::string RatioNumber(double ratio) {
  // %.3f of a ratio of extreme samples is hundreds of digits: beyond a
  // million, significant digits.
  return std::fabs(ratio) < 1e6 ? Printf("%.3f", ratio) : Printf("%.4g", ratio);
}

std::string RatioNumberBeside(double ratio, double threshold) {
  const std::string plain = RatioNumber(ratio);
  if (ratio == threshold || plain != RatioNumber(threshold)) return plain;
  std::string s = plain;
  for (int digits = 4; digits <= 9; ++digits) {
    char format[16];
    std::snprintf(format, sizeof format, "%%.%df", digits);
    s = Printf(format, ratio);
    if (s != Printf(format, threshold)) break;
  }
  return s;
}

std::string FormatPBeside(double p, double alpha) {
  if (p == alpha || FormatP(p) != FormatP(alpha)) return FormatP(p);
  for (int digits = 3; digits <= 9; ++digits) {
    char format[16];
    std::snprintf(format, sizeof format, "%%.%dg", digits);
    if (Printf(format, p) != Printf(format, alpha)) return Printf(format, p);
  }
  return FormatP(p);
}

std::string FormatRatio(double ratio) {
  std::string s = "x";  // (appended: "x" + string trips GCC 12's -Wrestrict)
  s += RatioNumber(ratio);
  return s;
}


int32_t NextCodePoint(const std::string& text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(*i);
  int len = 0;
  int32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b < 0x80) {
    ++*i;
    return b;
  } else if (b >= 0xC2 && b <= 0xDF) {
    len = 2, cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3, cp = b & 0x0F;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4, cp = b & 0x07;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    ++*i;
    return -1;
  }
  if (*i + static_cast<size_t>(len) > text.size()) {
    ++*i;
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    const unsigned char c = byte(*i + static_cast<size_t>(k));
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) {
      ++*i;
      return -1;
    }
    cp = cp << 6 | (c & 0x3F);
  }
  *i += static_cast<size_t>(len);
  return cp;
}

std::string ValidUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    if (NextCodePoint(text, &i) < 0) out += "\xEF\xBF\xBD";  // U+FFFD
    else out.append(text, start, i - start);
  }
  return out;
}

std::string MarkdownInline(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '<':
        // Only where it could open a tag, comment or autolink ("<float>",
        // "<!--", "</x>"); "< 10 ns" reads as written.
        if (i + 1 < text.size() && (std::isalpha(static_cast<unsigned char>(text[i + 1])) ||
                                    std::strchr("/!?", text[i + 1]) != nullptr))
          out += "&lt;";
        else
          out += c;
        break;
      // '>' stays: with '<' escaped it opens no tag, and a cell never starts
      // a line, so it quotes nothing ("1 us -> 2 us").
      case '&': out += "&amp;"; break;
      case '\n':
      case '\r': out += ' '; break;
      case ']':
        // "[x](y)" is a link; "[vocab=512]" stays as written (no link
        // reference definitions are ever written).
        if (i + 1 < text.size() && text[i + 1] == '(') out += '\\';
        out += c;
        break;
      case '|': case '\\': case '`': case '*': case '~':
        out += '\\';
        out += c;
        break;
      case '_':
        // Inside a word ("tq2_0") '_' never starts emphasis; at a word's
        // edge ("_x_") it can.
        if (!(i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1])) && i + 1 < text.size() &&
              std::isalnum(static_cast<unsigned char>(text[i + 1]))))
          out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

std::string ShellWord(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n\r'\"$*?|&;<>()[]{}!\\`~#^") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {
size_t LongestBacktickRun(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}
}  // namespace

std::string MarkdownLine(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string MarkdownCode(const std::string& text) {
  const std::string body = MarkdownLine(text);
  const std::string ticks(LongestBacktickRun(body) + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return ticks + (pad ? " " : "") + body + (pad ? " " : "") + ticks;
}

std::string MarkdownFence(const std::string& text) {
  return std::string(std::max<size_t>(3, LongestBacktickRun(text) + 1), '`');
}

std::string MermaidString(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"') out += "#quot;";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string MermaidNumber(double value) {
  if (!std::isfinite(value)) return "0";  // medians are finite; never an unparsable chart
  if (value == 0.0) return "0";
  // Six significant digits in fixed point: Mermaid's number grammar has no
  // exponent (%.6g wrote 1.52346e+07 and 7.5e-05, and the chart failed).
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
  const int decimals = std::clamp(5 - magnitude, 0, 17);
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

}  // namespace bitgate::reports
