#include "engine/tokenizer_unicode.h"

#include <array>

namespace bitgate::engine {

Utf8Char DecodeUtf8(std::string_view text, size_t pos) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  const uint8_t b0 = s[pos];
  if (b0 < 0x80) return {b0, 1};
  int len = 0;
  uint32_t cp = 0;
  uint32_t min_cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min_cp = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min_cp = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min_cp = 0x10000;
  } else {
    return {kInvalidCodepoint, 1};
  }
  if (pos + len > n) return {kInvalidCodepoint, 1};
  for (int i = 1; i < len; ++i) {
    const uint8_t b = s[pos + i];
    if ((b & 0xC0) != 0x80) return {kInvalidCodepoint, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {kInvalidCodepoint, 1};
  }
  return {cp, len};
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t CompleteUtf8Prefix(std::string_view text) {
  // Only the last 3 bytes can start an unfinished sequence.
  const size_t n = text.size();
  const size_t start = n > 3 ? n - 3 : 0;
  for (size_t i = start; i < n; ++i) {
    const uint8_t b = static_cast<uint8_t>(text[i]);
    int need = 0;
    if ((b & 0xE0) == 0xC0) need = 2;
    else if ((b & 0xF0) == 0xE0) need = 3;
    else if ((b & 0xF8) == 0xF0) need = 4;
    if (need == 0 || i + need <= n) continue;
    // A lead byte whose sequence is cut off: hold back from here, if the
    // bytes after it are continuation bytes (otherwise it is invalid now).
    bool all_cont = true;
    for (size_t j = i + 1; j < n; ++j) all_cont &= (static_cast<uint8_t>(text[j]) & 0xC0) == 0x80;
    if (all_cont) return i;
  }
  return n;
}

bool IsUnicodeWhitespace(uint32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

struct Range {
  uint32_t lo, hi;
};

bool InRanges(uint32_t cp, const Range* ranges, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (cp < ranges[i].lo) return false;  // sorted
    if (cp <= ranges[i].hi) return true;
  }
  return false;
}

// \p{N} outside ASCII: decimal digit blocks (Nd), Latin-1 superscripts and
// fractions, number forms, circled and parenthesized numbers (No, Nl).
constexpr Range kNumberRanges[] = {
    {0xB2, 0xB3},     {0xB9, 0xB9},     {0xBC, 0xBE},     {0x660, 0x669},   {0x6F0, 0x6F9},
    {0x7C0, 0x7C9},   {0x966, 0x96F},   {0x9E6, 0x9EF},   {0xA66, 0xA6F},   {0xAE6, 0xAEF},
    {0xB66, 0xB6F},   {0xBE6, 0xBF2},   {0xC66, 0xC6F},   {0xCE6, 0xCEF},   {0xD66, 0xD78},
    {0xDE6, 0xDEF},   {0xE50, 0xE59},   {0xED0, 0xED9},   {0xF20, 0xF33},   {0x1040, 0x1049},
    {0x1090, 0x1099}, {0x1369, 0x137C}, {0x16EE, 0x16F0}, {0x17E0, 0x17E9}, {0x1810, 0x1819},
    {0x1946, 0x194F}, {0x19D0, 0x19DA}, {0x1A80, 0x1A99}, {0x1B50, 0x1B59}, {0x1BB0, 0x1BB9},
    {0x1C40, 0x1C49}, {0x1C50, 0x1C59}, {0x2070, 0x2070}, {0x2074, 0x2079}, {0x2080, 0x2089},
    {0x2150, 0x2182}, {0x2185, 0x2189}, {0x2460, 0x249B}, {0x24EA, 0x24FF}, {0x2776, 0x2793},
    {0x2CFD, 0x2CFD}, {0x3007, 0x3007}, {0x3021, 0x3029}, {0x3038, 0x303A}, {0x3192, 0x3195},
    {0x3220, 0x3229}, {0x3248, 0x324F}, {0x3251, 0x325F}, {0x3280, 0x3289}, {0x32B1, 0x32BF},
    {0xA620, 0xA629}, {0xA6E6, 0xA6EF}, {0xA8D0, 0xA8D9}, {0xA900, 0xA909}, {0xA9D0, 0xA9D9},
    {0xA9F0, 0xA9F9}, {0xAA50, 0xAA59}, {0xABF0, 0xABF9}, {0xFF10, 0xFF19}, {0x10107, 0x10133},
    {0x104A0, 0x104A9}, {0x1D7CE, 0x1D7FF}, {0x1F100, 0x1F10C},
};

// Neither letter, number nor space outside ASCII: C1 controls, Latin-1
// punctuation and symbols, combining marks, general punctuation, currency,
// arrows, math, technical, box drawing, shapes, dingbats, CJK punctuation,
// full-width punctuation, private use, emoji. Everything else non-ASCII is
// taken as a letter.
constexpr Range kOtherRanges[] = {
    {0x80, 0xA9},     {0xAB, 0xB4},     {0xB6, 0xB9},     {0xBB, 0xBF},     {0xD7, 0xD7},
    {0xF7, 0xF7},     {0x2C2, 0x2C5},   {0x2D2, 0x2DF},   {0x2E5, 0x2EB},   {0x2ED, 0x2ED},
    {0x2EF, 0x36F},   {0x375, 0x375},   {0x37E, 0x37E},   {0x384, 0x385},   {0x387, 0x387},
    {0x483, 0x489},   {0x55A, 0x55F},   {0x589, 0x58A},   {0x591, 0x5C7},   {0x5F3, 0x5F4},
    {0x600, 0x61F},   {0x64B, 0x65F},   {0x66A, 0x66D},   {0x670, 0x670},   {0x6D4, 0x6D4},
    {0x6D6, 0x6ED},   {0x900, 0x903},   {0x93A, 0x93C},   {0x93E, 0x94F},   {0x951, 0x957},
    {0x962, 0x965},   {0x970, 0x970},   {0xE31, 0xE31},   {0xE34, 0xE3F},   {0xE47, 0xE4F},
    {0xE5A, 0xE5B},   {0x10FB, 0x10FB}, {0x1360, 0x1368}, {0x16EB, 0x16ED}, {0x2000, 0x206F},
    {0x207A, 0x207E}, {0x208A, 0x208E}, {0x20A0, 0x20FF}, {0x2100, 0x2101}, {0x2103, 0x2106},
    {0x2108, 0x2109}, {0x2114, 0x2114}, {0x2116, 0x2118}, {0x211E, 0x2123}, {0x2125, 0x2125},
    {0x2127, 0x2127}, {0x2129, 0x2129}, {0x212E, 0x212E}, {0x213A, 0x213B}, {0x2140, 0x2144},
    {0x214A, 0x214D}, {0x214F, 0x214F}, {0x2190, 0x245F}, {0x249C, 0x24E9}, {0x2500, 0x2775},
    {0x2794, 0x2BFF}, {0x2CE5, 0x2CEA}, {0x2CF9, 0x2CFC}, {0x2CFE, 0x2CFF}, {0x2E00, 0x2E7F},
    {0x2FF0, 0x3004}, {0x3008, 0x3020}, {0x302A, 0x3030}, {0x3036, 0x3037}, {0x303D, 0x303F},
    {0x3099, 0x309C}, {0x30A0, 0x30A0}, {0x30FB, 0x30FB}, {0x3190, 0x3191}, {0x3196, 0x319F},
    {0x31C0, 0x31E3}, {0x3200, 0x321E}, {0x322A, 0x3247}, {0x3250, 0x3250}, {0x3260, 0x327F},
    {0x328A, 0x32B0}, {0x32C0, 0x33FF}, {0x4DC0, 0x4DFF}, {0xA490, 0xA4C6}, {0xA4FE, 0xA4FF},
    {0xA60D, 0xA60F}, {0xA673, 0xA67E}, {0xA6F0, 0xA6F7}, {0xA700, 0xA716}, {0xA720, 0xA721},
    {0xA789, 0xA78A}, {0xA828, 0xA82B}, {0xA874, 0xA877}, {0xA8CE, 0xA8CF}, {0xD800, 0xF8FF},
    {0xFB29, 0xFB29}, {0xFD3E, 0xFD3F}, {0xFDFC, 0xFDFD}, {0xFE00, 0xFE6F}, {0xFEFF, 0xFEFF},
    {0xFF01, 0xFF0F}, {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFE0, 0xFFFF},
    {0x1D100, 0x1D1FF}, {0x1F000, 0x1F0FF}, {0x1F10D, 0x1FAFF}, {0xE0000, 0x10FFFF},
};

}  // namespace

bool IsUnicodeNumber(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return InRanges(cp, kNumberRanges, std::size(kNumberRanges));
}

bool IsUnicodeLetter(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp == kInvalidCodepoint) return false;
  if (IsUnicodeWhitespace(cp) || IsUnicodeNumber(cp)) return false;
  return !InRanges(cp, kOtherRanges, std::size(kOtherRanges));
}

namespace {

struct ByteMap {
  std::array<uint32_t, 256> to_cp{};
  ByteMap() {
    // bytes_to_unicode() of GPT-2: printable Latin-1 bytes map to
    // themselves, the other 68 to U+0100.. in byte order.
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
    }
  }
};

const ByteMap& GetByteMap() {
  static const ByteMap kMap;
  return kMap;
}

}  // namespace

uint32_t ByteToCodepoint(uint8_t b) { return GetByteMap().to_cp[b]; }

int CodepointToByte(uint32_t cp) {
  if (cp < 256) {
    const bool printable = (cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE);
    return printable ? static_cast<int>(cp) : -1;
  }
  if (cp >= 256 + 68) return -1;
  // The 68 non-printable bytes in order.
  const auto& m = GetByteMap().to_cp;
  for (int b = 0; b < 256; ++b) {
    if (m[b] == cp) return b;
  }
  return -1;
}

std::string BytesToByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(ByteToCodepoint(static_cast<uint8_t>(c)), &out);
  return out;
}

std::vector<std::string_view> PreTokenizeLlama3(std::string_view text) {
  // Decode once; offsets[i] is the byte offset of code point i.
  std::vector<uint32_t> cps;
  std::vector<size_t> offsets;
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = DecodeUtf8(text, pos);
    cps.push_back(c.cp);
    offsets.push_back(pos);
    pos += c.len;
  }
  const size_t n = cps.size();
  offsets.push_back(text.size());
  auto at = [&](size_t i) -> uint32_t { return i < n ? cps[i] : kInvalidCodepoint - 1; };
  // Sentinel past the end: not a letter, number or space.
  auto is_l = [&](size_t i) { return i < n && IsUnicodeLetter(cps[i]); };
  auto is_n = [&](size_t i) { return i < n && IsUnicodeNumber(cps[i]); };
  auto is_s = [&](size_t i) { return i < n && IsUnicodeWhitespace(cps[i]); };
  auto lower = [](uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; };

  std::vector<std::string_view> out;
  size_t pos = 0;
  auto emit = [&](size_t end) {
    out.push_back(text.substr(offsets[pos], offsets[end] - offsets[pos]));
    pos = end;
  };
  while (pos < n) {
    const uint32_t c = cps[pos];
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c == '\'' && pos + 1 < n) {
      const uint32_t c1 = lower(at(pos + 1));
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        emit(pos + 2);
        continue;
      }
      if (pos + 2 < n) {
        const uint32_t c2 = lower(at(pos + 2));
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          emit(pos + 3);
          continue;
        }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(c == '\r' || c == '\n' || is_n(pos)) && (is_l(pos) || is_l(pos + 1))) {
      size_t end = pos + 1;
      while (is_l(end)) ++end;
      emit(end);
      continue;
    }
    // \p{N}{1,3}
    if (is_n(pos)) {
      size_t end = pos;
      while (end < pos + 3 && is_n(end)) ++end;
      emit(end);
      continue;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    {
      const size_t start = c == ' ' ? pos + 1 : pos;
      if (start < n && !is_s(start) && !is_l(start) && !is_n(start)) {
        size_t end = start + 1;
        while (end < n && !is_s(end) && !is_l(end) && !is_n(end)) ++end;
        while (end < n && (cps[end] == '\r' || cps[end] == '\n')) ++end;
        emit(end);
        continue;
      }
    }
    // \s*[\r\n]+ | \s+(?!\S) | \s+
    size_t ws_end = pos;
    size_t last_newline_end = 0;
    while (is_s(ws_end)) {
      if (cps[ws_end] == '\r' || cps[ws_end] == '\n') last_newline_end = ws_end + 1;
      ++ws_end;
    }
    if (last_newline_end > 0) {
      emit(last_newline_end);
      continue;
    }
    if (ws_end > pos) {
      // \s+(?!\S): leave the last space to prefix the next word, unless
      // the run ends the text.
      if (ws_end - pos > 1 && ws_end < n) {
        emit(ws_end - 1);
      } else {
        emit(ws_end);
      }
      continue;
    }
    emit(pos + 1);  // unreachable for valid classes; guarantees progress
  }
  return out;
}

}  // namespace bitgate::engine
