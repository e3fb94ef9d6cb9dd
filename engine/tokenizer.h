// Tokenizers built from GGUF metadata:
//  - "llama": SentencePiece-style vocabulary with scores, byte-fallback
//    tokens <0xNN> and U+2581 '▁' for spaces (the golden tiny models).
//  - "gpt2": byte-level BPE with ranked merges and LLaMA-3 pre-tokenization
//    (BitNet b1.58 2B-4T, and bitgate's synthetic models).
// Both encode arbitrary bytes (invalid UTF-8 included) and decode back to
// the same bytes; see docs/TOKENIZER.md for the exact rules.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/gguf_metadata.h"
#include "kernels/base/status.h"

namespace bitgate::engine {

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class TokenizerKind { kSpm, kBpe };

// Everything a tokenizer needs, as stored under tokenizer.ggml.*.
struct Vocab {
  std::string model = "llama";     // "llama" (SPM) or "gpt2" (BPE)
  std::string pre;                 // tokenizer.ggml.pre, e.g. "llama-bpe"
  std::vector<std::string> tokens;
  std::vector<float> scores;       // SPM merge priorities (may be empty for BPE)
  std::vector<TokenType> types;    // empty means all kNormal
  std::vector<std::string> merges; // BPE: "left right", best rank first
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t eot_id = -1;
  int32_t unk_id = -1;
  int32_t pad_id = -1;
  bool add_bos = true;
  bool add_eos = false;
  bool add_space_prefix = true;    // SPM: prepend '▁' to the text
};

// Reads tokenizer.ggml.* (errors name the missing or mistyped key).
Result<Vocab> VocabFromMetadata(const GgufMetadata& md);
// Writes tokenizer.ggml.* in llama.cpp's key order and types.
void VocabToMetadata(const Vocab& vocab, GgufMetadata* md);

struct EncodeOptions {
  bool add_special = true;     // BOS / EOS as the vocabulary asks
  bool parse_special = false;  // match control / unknown token texts in the input (user-defined ones always are)
};

struct DecodeOptions {
  bool render_special = false;      // print control tokens' texts
  bool strip_space_prefix = true;   // SPM: drop the '▁' added by Encode
};

class Tokenizer {
 public:
  static Result<Tokenizer> Create(Vocab vocab);
  Tokenizer(Tokenizer&&) = default;
  Tokenizer& operator=(Tokenizer&&) = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  static Result<Tokenizer> FromMetadata(const GgufMetadata& md);

  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& opts = {}) const;
  std::string Decode(std::span<const int32_t> ids, const DecodeOptions& opts = {}) const;

  // The bytes one token contributes to decoded text; may be part of a
  // UTF-8 character (byte tokens). Out-of-range ids give "".
  std::string TokenToPiece(int32_t id, bool render_special = false) const;
  std::optional<int32_t> TokenId(std::string_view token_text) const;

  TokenizerKind kind() const { return kind_; }
  const Vocab& vocab() const { return vocab_; }
  int32_t vocab_size() const { return static_cast<int32_t>(vocab_.tokens.size()); }
  int32_t bos_id() const { return vocab_.bos_id; }
  int32_t eos_id() const { return vocab_.eos_id; }
  TokenType type(int32_t id) const;
  bool IsControl(int32_t id) const { return type(id) == TokenType::kControl; }
  // End-of-generation tokens: EOS and EOT (if the vocabulary has them).
  std::vector<int32_t> EndOfGenerationIds() const;

 private:
  Tokenizer() = default;
  void EncodeText(std::string_view text, bool first_fragment, std::vector<int32_t>* out) const;
  void EncodeSpm(std::string_view text, std::vector<int32_t>* out) const;
  void EncodeBpe(std::string_view text, std::vector<int32_t>* out) const;
  void EncodeBpeWord(std::string_view word, std::vector<int32_t>* out) const;
  void PushByteFallback(std::string_view bytes, std::vector<int32_t>* out) const;
  int MergeRank(std::string_view left, std::string_view right) const;

  Vocab vocab_;
  TokenizerKind kind_ = TokenizerKind::kSpm;
  bool gpt2_pretokenizer_ = false;  // pre = "gpt-2"; otherwise LLaMA-3's
  // Keys view the strings of vocab_ (stable across moves of this object,
  // which is why copying is deleted): a 128k vocabulary is held once.
  std::unordered_map<std::string_view, int32_t> token_to_id_;
  std::unordered_map<std::string_view, int32_t> merge_rank_;  // "left right" -> rank
  std::array<int32_t, 256> byte_to_id_{};                // byte token or byte-level token, -1 if none
  // Token texts matched in the input before the tokenizer runs (as
  // llama.cpp does): user-defined tokens always, control and unknown ones
  // only when parse_special. Text -> id, the distinct text lengths (longest
  // first) and which bytes can start one, so a scan costs a few hash
  // lookups per position even with 128k reserved tokens.
  std::unordered_map<std::string_view, int32_t> special_to_id_;
  std::vector<size_t> special_lengths_;
  std::array<bool, 256> special_first_byte_{};
  bool has_user_defined_ = false;
};

// Streaming detokenizer for generation: returns only whole UTF-8
// characters, holding back a character split across tokens until it is
// complete (Flush returns whatever is left, valid or not).
class DetokenizerStream {
 public:
  explicit DetokenizerStream(const Tokenizer* tokenizer, DecodeOptions opts = {})
      : tokenizer_(tokenizer), opts_(opts) {}
  std::string Push(int32_t id);
  std::string Flush();

 private:
  const Tokenizer* tokenizer_;
  DecodeOptions opts_;
  std::string pending_;
  bool started_ = false;
};

}  // namespace bitgate::engine
