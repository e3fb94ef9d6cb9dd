#include "engine/tokenizer_train.h"

#include <map>
#include <unordered_map>
#include <utility>

#include "engine/tokenizer_unicode.h"

namespace bitgate::engine {
namespace {

struct Word {
  std::vector<int32_t> ids;
  int64_t count;
};

struct PairHash {
  size_t operator()(const std::pair<int32_t, int32_t>& p) const {
    return std::hash<uint64_t>()((uint64_t(uint32_t(p.first)) << 32) | uint32_t(p.second));
  }
};

}  // namespace

Result<Vocab> TrainBpe(std::string_view text, const BpeTrainOptions& opts) {
  const int64_t n_special = static_cast<int64_t>(opts.special_tokens.size());
  if (opts.vocab_size < 256 + n_special) {
    return Status::Error("TrainBpe: vocab_size " + std::to_string(opts.vocab_size) +
                         " is smaller than 256 byte tokens + " + std::to_string(n_special) +
                         " special tokens");
  }
  const int64_t max_learned = opts.vocab_size - n_special;

  // Unique pre-tokenized words with counts (std::map: a fixed order).
  std::map<std::string_view, int64_t> word_counts;
  for (std::string_view w : PreTokenizeLlama3(text)) ++word_counts[w];
  std::vector<Word> words;
  words.reserve(word_counts.size());
  for (const auto& [w, c] : word_counts) {
    Word word{{}, c};
    for (char ch : w) word.ids.push_back(static_cast<uint8_t>(ch));
    words.push_back(std::move(word));
  }

  std::vector<std::string> token_bytes(256);
  for (int b = 0; b < 256; ++b) token_bytes[b] = std::string(1, static_cast<char>(b));
  std::unordered_map<std::string, int32_t> bytes_to_id;
  for (int b = 0; b < 256; ++b) bytes_to_id.emplace(token_bytes[b], b);
  std::vector<std::string> merges;

  while (static_cast<int64_t>(token_bytes.size()) < max_learned) {
    std::unordered_map<std::pair<int32_t, int32_t>, int64_t, PairHash> pair_counts;
    for (const Word& w : words) {
      for (size_t i = 1; i < w.ids.size(); ++i) pair_counts[{w.ids[i - 1], w.ids[i]}] += w.count;
    }
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 0;
    for (const auto& [p, c] : pair_counts) {
      if (c > best_count || (c == best_count && p < best)) {
        best = p;
        best_count = c;
      }
    }
    if (best_count < opts.min_pair_count || best.first < 0) break;

    const std::string merged = token_bytes[best.first] + token_bytes[best.second];
    int32_t new_id;
    if (auto it = bytes_to_id.find(merged); it != bytes_to_id.end()) {
      new_id = it->second;  // reached before through another split
    } else {
      new_id = static_cast<int32_t>(token_bytes.size());
      token_bytes.push_back(merged);
      bytes_to_id.emplace(merged, new_id);
    }
    merges.push_back(BytesToByteLevel(token_bytes[best.first]) + " " +
                     BytesToByteLevel(token_bytes[best.second]));
    for (Word& w : words) {
      size_t out = 0;
      for (size_t i = 0; i < w.ids.size(); ++i) {
        if (i + 1 < w.ids.size() && w.ids[i] == best.first && w.ids[i + 1] == best.second) {
          w.ids[out++] = new_id;
          ++i;
        } else {
          w.ids[out++] = w.ids[i];
        }
      }
      w.ids.resize(out);
    }
  }

  Vocab v;
  v.model = "gpt2";
  v.pre = "llama-bpe";
  v.add_bos = true;
  v.add_eos = false;
  v.add_space_prefix = false;
  for (const std::string& b : token_bytes) {
    v.tokens.push_back(BytesToByteLevel(b));
    v.types.push_back(TokenType::kNormal);
  }
  const int32_t first_special = static_cast<int32_t>(v.tokens.size());
  for (const std::string& s : opts.special_tokens) {
    v.tokens.push_back(s);
    v.types.push_back(TokenType::kControl);
  }
  for (int32_t r = 0; static_cast<int32_t>(v.tokens.size()) < opts.vocab_size; ++r) {
    v.tokens.push_back("<|reserved_special_token_" + std::to_string(r) + "|>");
    v.types.push_back(TokenType::kControl);
  }
  if (n_special > 0) v.bos_id = first_special;
  if (n_special > 1) v.eos_id = first_special + 1;
  if (n_special > 2) v.eot_id = first_special + 2;
  v.merges = std::move(merges);
  return v;
}

Result<Vocab> TrainBpe(std::string_view text, int32_t vocab_size) {
  BpeTrainOptions opts;
  opts.vocab_size = vocab_size;
  return TrainBpe(text, opts);
}

}  // namespace bitgate::engine
