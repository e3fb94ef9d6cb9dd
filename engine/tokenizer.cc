#include "engine/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/tokenizer_unicode.h"

namespace bitgate::engine {
namespace {

constexpr std::string_view kSpmSpace = "\xe2\x96\x81";  // U+2581 '▁'

// "<0x41>" -> 0x41; -1 if not of that form.
int ParseByteToken(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  int v = 0;
  for (char c : t.substr(3, 2)) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else return -1;
  }
  return v;
}

Status OptionalId(const GgufMetadata& md, const char* key, int32_t* out) {
  if (!md.Has(key)) return Status::Ok();
  auto v = md.GetU32(key);
  if (!v.ok()) return v.status();
  if (*v > static_cast<uint32_t>(INT32_MAX)) return Status::Error(std::string(key) + " out of range");
  *out = static_cast<int32_t>(*v);
  return Status::Ok();
}

}  // namespace

Result<Vocab> VocabFromMetadata(const GgufMetadata& md) {
  Vocab v;
  auto model = md.GetString("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  v.model = *model;
  auto pre = md.GetStringOr("tokenizer.ggml.pre", "");
  if (!pre.ok()) return pre.status();
  v.pre = *pre;
  auto tokens = md.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens.ok()) return tokens.status();
  v.tokens.assign(tokens->begin(), tokens->end());
  const size_t n = v.tokens.size();
  if (md.Has("tokenizer.ggml.scores")) {
    auto scores = md.GetF32Array("tokenizer.ggml.scores");
    if (!scores.ok()) return scores.status();
    v.scores = std::move(*scores);
    if (v.scores.size() != n) {
      return Status::Error("tokenizer.ggml.scores has " + std::to_string(v.scores.size()) +
                           " entries for " + std::to_string(n) + " tokens");
    }
  }
  if (md.Has("tokenizer.ggml.token_type")) {
    auto types = md.GetI32Array("tokenizer.ggml.token_type");
    if (!types.ok()) return types.status();
    if (types->size() != n) {
      return Status::Error("tokenizer.ggml.token_type has " + std::to_string(types->size()) +
                           " entries for " + std::to_string(n) + " tokens");
    }
    v.types.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const int32_t t = (*types)[i];
      if (t < 0 || t > 6) {
        return Status::Error("tokenizer.ggml.token_type[" + std::to_string(i) + "] = " +
                             std::to_string(t) + " is not a token type (0..6)");
      }
      v.types.push_back(static_cast<TokenType>(t));
    }
  }
  if (md.Has("tokenizer.ggml.merges")) {
    auto merges = md.GetStringArray("tokenizer.ggml.merges");
    if (!merges.ok()) return merges.status();
    v.merges.assign(merges->begin(), merges->end());
  }
  const bool spm = v.model == "llama";
  // llama.cpp's defaults when a SentencePiece vocabulary omits the ids.
  if (spm) v.unk_id = 0, v.bos_id = 1, v.eos_id = 2;
  BITGATE_RETURN_IF_ERROR(OptionalId(md, "tokenizer.ggml.bos_token_id", &v.bos_id));
  BITGATE_RETURN_IF_ERROR(OptionalId(md, "tokenizer.ggml.eos_token_id", &v.eos_id));
  BITGATE_RETURN_IF_ERROR(OptionalId(md, "tokenizer.ggml.eot_token_id", &v.eot_id));
  BITGATE_RETURN_IF_ERROR(OptionalId(md, "tokenizer.ggml.unknown_token_id", &v.unk_id));
  BITGATE_RETURN_IF_ERROR(OptionalId(md, "tokenizer.ggml.padding_token_id", &v.pad_id));
  // Without the key, llama.cpp adds BOS for SentencePiece and for its
  // LLaMA-3 pre-tokenizer group (Llama-3 conversions often omit the key).
  static constexpr std::string_view kLlama3Pre[] = {"llama3", "llama-v3", "llama-bpe", "falcon3",
                                                    "falcon-h1", "pixtral", "midm-2.0", "lfm2"};
  const bool llama3_pre = v.model == "gpt2" && std::find(std::begin(kLlama3Pre), std::end(kLlama3Pre), v.pre) !=
                                                    std::end(kLlama3Pre);
  auto add_bos = md.GetBoolOr("tokenizer.ggml.add_bos_token", spm || llama3_pre);
  if (!add_bos.ok()) return add_bos.status();
  v.add_bos = *add_bos;
  auto add_eos = md.GetBoolOr("tokenizer.ggml.add_eos_token", false);
  if (!add_eos.ok()) return add_eos.status();
  v.add_eos = *add_eos;
  auto prefix = md.GetBoolOr("tokenizer.ggml.add_space_prefix", spm);
  if (!prefix.ok()) return prefix.status();
  v.add_space_prefix = *prefix;
  return v;
}

void VocabToMetadata(const Vocab& v, GgufMetadata* md) {
  md->Set("tokenizer.ggml.model", GgufValue::String(v.model));
  if (!v.pre.empty()) md->Set("tokenizer.ggml.pre", GgufValue::String(v.pre));
  md->Set("tokenizer.ggml.tokens", GgufValue::StringArray(v.tokens));
  if (!v.scores.empty()) md->Set("tokenizer.ggml.scores", GgufValue::F32Array(v.scores));
  if (!v.types.empty()) {
    std::vector<int32_t> types(v.types.size());
    for (size_t i = 0; i < types.size(); ++i) types[i] = static_cast<int32_t>(v.types[i]);
    md->Set("tokenizer.ggml.token_type", GgufValue::I32Array(types));
  }
  if (!v.merges.empty()) md->Set("tokenizer.ggml.merges", GgufValue::StringArray(v.merges));
  auto id = [&](const char* key, int32_t value) {
    if (value >= 0) md->Set(key, GgufValue::U32(static_cast<uint32_t>(value)));
  };
  id("tokenizer.ggml.bos_token_id", v.bos_id);
  id("tokenizer.ggml.eos_token_id", v.eos_id);
  id("tokenizer.ggml.eot_token_id", v.eot_id);
  id("tokenizer.ggml.unknown_token_id", v.unk_id);
  id("tokenizer.ggml.padding_token_id", v.pad_id);
  md->Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(v.add_bos));
  md->Set("tokenizer.ggml.add_eos_token", GgufValue::Bool(v.add_eos));
  if (v.model == "llama" && !v.add_space_prefix) {
    md->Set("tokenizer.ggml.add_space_prefix", GgufValue::Bool(false));
  }
}

Result<Tokenizer> Tokenizer::Create(Vocab vocab) {
  Tokenizer t;
  if (vocab.model == "llama") {
    t.kind_ = TokenizerKind::kSpm;
  } else if (vocab.model == "gpt2") {
    t.kind_ = TokenizerKind::kBpe;
  } else {
    return Status::Error("unsupported tokenizer model '" + vocab.model + "' (supported: llama, gpt2)");
  }
  const size_t n = vocab.tokens.size();
  if (n == 0) return Status::Error("tokenizer: empty vocabulary");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::Error("tokenizer: vocabulary too large");
  if (!vocab.scores.empty() && vocab.scores.size() != n) return Status::Error("tokenizer: scores size mismatch");
  // The SentencePiece merge order compares scores: a NaN has no place in
  // it (the priority queue's order would be undefined). Infinities order.
  for (size_t i = 0; i < vocab.scores.size(); ++i) {
    if (std::isnan(vocab.scores[i])) {
      return Status::Error("tokenizer: tokenizer.ggml.scores[" + std::to_string(i) + "] is NaN");
    }
  }
  if (!vocab.types.empty() && vocab.types.size() != n) return Status::Error("tokenizer: token types size mismatch");
  for (auto [name, id] : {std::pair{"bos", vocab.bos_id}, {"eos", vocab.eos_id}, {"eot", vocab.eot_id},
                          {"unknown", vocab.unk_id}, {"padding", vocab.pad_id}}) {
    if (id < -1 || id >= static_cast<int32_t>(n)) {
      return Status::Error(std::string("tokenizer: ") + name + " token id " + std::to_string(id) +
                           " outside the vocabulary of " + std::to_string(n));
    }
  }
  t.vocab_ = std::move(vocab);
  const Vocab& v = t.vocab_;
  t.token_to_id_.reserve(n);
  for (size_t i = 0; i < n; ++i) t.token_to_id_.emplace(v.tokens[i], static_cast<int32_t>(i));  // first wins
  t.byte_to_id_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    std::string key;
    if (t.kind_ == TokenizerKind::kSpm) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
      key = buf;
    } else {
      key = BytesToByteLevel(std::string(1, static_cast<char>(b)));
    }
    auto it = t.token_to_id_.find(key);
    if (it != t.token_to_id_.end()) t.byte_to_id_[b] = it->second;
  }
  t.gpt2_pretokenizer_ = t.kind_ == TokenizerKind::kBpe && v.pre == "gpt-2";
  if (t.kind_ == TokenizerKind::kBpe) {
    t.merge_rank_.reserve(v.merges.size());
    for (size_t r = 0; r < v.merges.size(); ++r) {
      const std::string& m = v.merges[r];
      const size_t sp = m.find(' ', 1);
      if (sp == std::string::npos || sp + 1 >= m.size()) {
        return Status::Error("tokenizer.ggml.merges[" + std::to_string(r) + "] = '" + m +
                             "' is not 'left right'");
      }
      t.merge_rank_.emplace(m, static_cast<int32_t>(r));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const TokenType ty = t.type(static_cast<int32_t>(i));
    const std::string& text = v.tokens[i];
    if ((ty == TokenType::kControl || ty == TokenType::kUserDefined || ty == TokenType::kUnknown) &&
        !text.empty()) {
      // One id per text, the first: vocabularies with two tokens of one
      // text (which SentencePiece and HF do not write) match only that one.
      if (!t.special_to_id_.emplace(text, static_cast<int32_t>(i)).second) continue;
      if (ty == TokenType::kUserDefined) t.has_user_defined_ = true;
      if (std::find(t.special_lengths_.begin(), t.special_lengths_.end(), text.size()) ==
          t.special_lengths_.end()) {
        t.special_lengths_.push_back(text.size());
      }
      t.special_first_byte_[static_cast<uint8_t>(text[0])] = true;
    }
  }
  std::sort(t.special_lengths_.rbegin(), t.special_lengths_.rend());
  return t;
}

Result<Tokenizer> Tokenizer::FromMetadata(const GgufMetadata& md) {
  auto v = VocabFromMetadata(md);
  if (!v.ok()) return v.status();
  return Create(std::move(*v));
}

TokenType Tokenizer::type(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return TokenType::kUndefined;
  return vocab_.types.empty() ? TokenType::kNormal : vocab_.types[id];
}

std::optional<int32_t> Tokenizer::TokenId(std::string_view token_text) const {
  auto it = token_to_id_.find(std::string(token_text));
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<int32_t> Tokenizer::EndOfGenerationIds() const {
  std::vector<int32_t> ids;
  auto add = [&](int32_t id) {
    if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  add(vocab_.eos_id);
  add(vocab_.eot_id);
  // Control tokens that end a turn in the chat formats of the vocabularies
  // these files carry, whether or not the metadata names them (LLaMA 3's
  // <|eot_id|> is not in BitNet b1.58 2B-4T's; llama.cpp stops on these
  // texts too).
  static constexpr std::string_view kEndOfTurn[] = {
      "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
      "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>"};
  for (std::string_view text : kEndOfTurn) {
    const auto it = special_to_id_.find(text);
    if (it != special_to_id_.end() && type(it->second) == TokenType::kControl) add(it->second);
  }
  return ids;
}

void Tokenizer::PushByteFallback(std::string_view bytes, std::vector<int32_t>* out) const {
  for (char c : bytes) {
    const int32_t id = byte_to_id_[static_cast<uint8_t>(c)];
    if (id >= 0) {
      out->push_back(id);
    } else if (vocab_.unk_id >= 0) {
      out->push_back(vocab_.unk_id);
    }
  }
}

void Tokenizer::EncodeText(std::string_view text, bool after_special, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  if (kind_ == TokenizerKind::kBpe) {
    EncodeBpe(text, out);
    return;
  }
  // SentencePiece normalization: spaces become '▁', plus a leading '▁'
  // at the start of the text and after a special token (as llama.cpp).
  std::string norm;
  norm.reserve(text.size() + 8);
  if (vocab_.add_space_prefix && after_special) norm += kSpmSpace;
  for (char c : text) {
    if (c == ' ') norm += kSpmSpace;
    else norm += c;
  }
  EncodeSpm(norm, out);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, const EncodeOptions& opts) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (opts.add_special && vocab_.add_bos && vocab_.bos_id >= 0) out.push_back(vocab_.bos_id);
  if (special_to_id_.empty() || (!opts.parse_special && !has_user_defined_)) {
    EncodeText(text, true, &out);
  } else {
    // Every text fragment starts the input or follows a special token, so
    // each gets the SentencePiece space prefix (llama.cpp does the same).
    size_t start = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      int32_t match = -1;
      size_t match_len = 0;
      if (special_first_byte_[static_cast<uint8_t>(text[pos])]) {
        for (size_t len : special_lengths_) {  // longest first
          if (len > text.size() - pos) continue;
          auto it = special_to_id_.find(std::string(text.substr(pos, len)));
          if (it != special_to_id_.end() && (opts.parse_special || type(it->second) == TokenType::kUserDefined)) {
            match = it->second;
            match_len = len;
            break;
          }
        }
      }
      if (match < 0) {
        ++pos;
        continue;
      }
      EncodeText(text.substr(start, pos - start), true, &out);
      out.push_back(match);
      pos += match_len;
      start = pos;
    }
    EncodeText(text.substr(start), true, &out);
  }
  if (opts.add_special && vocab_.add_eos && vocab_.eos_id >= 0) out.push_back(vocab_.eos_id);
  return out;
}

std::string Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  if (id < 0 || id >= vocab_size()) return {};
  const std::string& text = vocab_.tokens[id];
  switch (type(id)) {
    case TokenType::kControl:
      return render_special ? text : std::string();
    case TokenType::kUnused:
      return {};
    case TokenType::kUnknown:
      return "\xe2\x96\x85";  // '▅', what llama.cpp prints for <unk>
    case TokenType::kByte: {
      const int b = ParseByteToken(text);
      if (b >= 0) return std::string(1, static_cast<char>(b));
      return text;
    }
    case TokenType::kUserDefined:
      return text;
    case TokenType::kNormal:
    case TokenType::kUndefined:
      break;
  }
  std::string out;
  if (kind_ == TokenizerKind::kSpm) {
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, kSpmSpace.size(), kSpmSpace) == 0) {
        out += ' ';
        i += kSpmSpace.size();
      } else {
        out += text[i++];
      }
    }
    return out;
  }
  // Byte-level BPE: map each code point back to its byte.
  for (size_t i = 0; i < text.size();) {
    const Utf8Char c = DecodeUtf8(text, i);
    const int b = c.cp == kInvalidCodepoint ? -1 : CodepointToByte(c.cp);
    if (b >= 0) {
      out += static_cast<char>(b);
    } else {
      out.append(text, i, c.len);
    }
    i += c.len;
  }
  return out;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, const DecodeOptions& opts) const {
  std::string out;
  bool started = false;
  const bool strip = opts.strip_space_prefix && kind_ == TokenizerKind::kSpm && vocab_.add_space_prefix;
  for (int32_t id : ids) {
    std::string piece = TokenToPiece(id, opts.render_special);
    if (piece.empty()) continue;
    if (!started && strip && piece[0] == ' ' && !IsControl(id)) piece.erase(0, 1);
    started = true;
    out += piece;
  }
  return out;
}

std::string DetokenizerStream::Push(int32_t id) {
  std::string piece = tokenizer_->TokenToPiece(id, opts_.render_special);
  if (piece.empty()) return {};
  if (!started_ && opts_.strip_space_prefix && tokenizer_->kind() == TokenizerKind::kSpm &&
      tokenizer_->vocab().add_space_prefix && piece[0] == ' ' && !tokenizer_->IsControl(id)) {
    piece.erase(0, 1);
  }
  started_ = true;
  pending_ += piece;
  const size_t k = CompleteUtf8Prefix(pending_);
  std::string out = pending_.substr(0, k);
  pending_.erase(0, k);
  return out;
}

std::string DetokenizerStream::Flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace bitgate::engine
