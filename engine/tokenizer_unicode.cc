#include "engine/tokenizer_unicode.h"

#include <array>

#include "engine/tokenizer_unicode_table.h"

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

size_t FirstInvalidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = DecodeUtf8(text, pos);
    if (c.cp == kInvalidCodepoint) return pos;
    pos += static_cast<size_t>(c.len);
  }
  return std::string_view::npos;
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

bool IsUnicodeNumber(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return LookupCodepointClass(cp) == CodepointClass::kNumber;
}

bool IsUnicodeLetter(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  return LookupCodepointClass(cp) == CodepointClass::kLetter;  // invalid -> kOther
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

namespace {

// The text decoded once: cps[i] starts at byte offsets[i]; offsets has a
// final entry for the end. Class tests past the end are false.
struct CodepointText {
  explicit CodepointText(std::string_view text) {
    for (size_t pos = 0; pos < text.size();) {
      const Utf8Char c = DecodeUtf8(text, pos);
      cps.push_back(c.cp);
      offsets.push_back(pos);
      pos += c.len;
    }
    offsets.push_back(text.size());
  }
  size_t size() const { return cps.size(); }
  bool is_l(size_t i) const { return i < cps.size() && IsUnicodeLetter(cps[i]); }
  bool is_n(size_t i) const { return i < cps.size() && IsUnicodeNumber(cps[i]); }
  bool is_s(size_t i) const { return i < cps.size() && IsUnicodeWhitespace(cps[i]); }
  uint32_t at(size_t i) const { return i < cps.size() ? cps[i] : kInvalidCodepoint; }

  std::vector<uint32_t> cps;
  std::vector<size_t> offsets;
};

// \s+(?!\S) | \s+ from `pos` (a whitespace code point): the run minus its
// last space when a non-space follows (that space prefixes the next
// piece), else the whole run.
size_t WhitespaceRunEnd(const CodepointText& t, size_t pos) {
  size_t end = pos;
  while (t.is_s(end)) ++end;
  if (end - pos > 1 && end < t.size()) return end - 1;
  return end;
}

}  // namespace

std::vector<std::string_view> PreTokenizeGpt2(std::string_view text) {
  const CodepointText t(text);
  const size_t n = t.size();
  std::vector<std::string_view> out;
  size_t pos = 0;
  auto emit = [&](size_t end) {
    out.push_back(text.substr(t.offsets[pos], t.offsets[end] - t.offsets[pos]));
    pos = end;
  };
  while (pos < n) {
    const uint32_t c = t.cps[pos];
    // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, unlike LLaMA-3)
    if (c == '\'' && pos + 1 < n) {
      const uint32_t c1 = t.at(pos + 1);
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        emit(pos + 2);
        continue;
      }
      if (pos + 2 < n) {
        const uint32_t c2 = t.at(pos + 2);
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          emit(pos + 3);
          continue;
        }
      }
    }
    //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
    const size_t start = (c == ' ' && pos + 1 < n) ? pos + 1 : pos;
    if (t.is_l(start)) {
      size_t end = start + 1;
      while (t.is_l(end)) ++end;
      emit(end);
      continue;
    }
    if (t.is_n(start)) {
      size_t end = start + 1;
      while (t.is_n(end)) ++end;
      emit(end);
      continue;
    }
    if (start < n && !t.is_s(start)) {
      size_t end = start + 1;
      while (end < n && !t.is_s(end) && !t.is_l(end) && !t.is_n(end)) ++end;
      emit(end);
      continue;
    }
    emit(t.is_s(pos) ? WhitespaceRunEnd(t, pos) : pos + 1);
  }
  return out;
}

std::vector<std::string_view> PreTokenizeLlama3(std::string_view text) {
  const CodepointText t(text);
  const std::vector<uint32_t>& cps = t.cps;
  const size_t n = t.size();
  auto at = [&](size_t i) { return t.at(i); };
  auto is_l = [&](size_t i) { return t.is_l(i); };
  auto is_n = [&](size_t i) { return t.is_n(i); };
  auto is_s = [&](size_t i) { return t.is_s(i); };
  auto lower = [](uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; };
  const std::vector<size_t>& offsets = t.offsets;

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
