// Unicode helpers for the tokenizers: UTF-8 decoding that never fails,
// code point classes for pre-tokenization, GPT-2's byte <-> code point map
// and the LLaMA-3 pre-tokenizer written out by hand (no regex engine).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitgate::engine {

// Sentinel for a byte that does not start a valid UTF-8 sequence.
inline constexpr uint32_t kInvalidCodepoint = 0xFFFFFFFFu;

struct Utf8Char {
  uint32_t cp;  // kInvalidCodepoint for an invalid byte
  int len;      // bytes consumed, >= 1 (an invalid byte is consumed alone)
};

// Decodes the code point at text[pos] (pos < text.size()). Overlong
// forms, surrogates, values past U+10FFFF and truncated sequences are
// invalid: one byte is consumed so the caller always makes progress.
Utf8Char DecodeUtf8(std::string_view text, size_t pos);
void AppendUtf8(uint32_t cp, std::string* out);
// Length of the longest prefix of `text` that ends on a complete UTF-8
// character boundary, treating invalid bytes as complete. Streaming
// decoders emit this prefix and hold back the rest (at most 3 bytes).
size_t CompleteUtf8Prefix(std::string_view text);
// Offset of the first byte that does not start a valid UTF-8 character
// (DecodeUtf8's rules), or npos when all of `text` is valid.
size_t FirstInvalidUtf8(std::string_view text);

// Code point classes as the pre-tokenizer regexes use them: \s is the
// Unicode White_Space property, \p{L} and \p{N} the general categories L*
// and N* (a table generated from the Unicode Character Database).
bool IsUnicodeWhitespace(uint32_t cp);
bool IsUnicodeNumber(uint32_t cp);
bool IsUnicodeLetter(uint32_t cp);

// GPT-2 byte-level mapping: every byte to a printable code point (so a
// BPE vocabulary never stores raw bytes; 0x20 -> U+0120 'Ġ').
uint32_t ByteToCodepoint(uint8_t b);
// -1 if cp is not the image of a byte.
int CodepointToByte(uint32_t cp);
// The byte-level form of raw bytes: each byte's code point, UTF-8 encoded.
std::string BytesToByteLevel(std::string_view bytes);

// Splits text as the LLaMA-3 pre-tokenizer regex does:
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Returns the pieces as views into `text`; their concatenation is `text`.
std::vector<std::string_view> PreTokenizeLlama3(std::string_view text);

// Splits text as GPT-2's regex does (tokenizer.ggml.pre = "gpt-2"):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::vector<std::string_view> PreTokenizeGpt2(std::string_view text);

}  // namespace bitgate::engine
