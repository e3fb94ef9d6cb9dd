// SentencePiece-style ("llama") encoding, as llama.cpp's llm_tokenizer_spm:
// start from single UTF-8 characters, repeatedly merge the adjacent pair
// whose concatenation is a vocabulary token with the highest score (ties:
// leftmost), then map each symbol to its token or to byte tokens <0xNN>.
#include <queue>
#include <vector>

#include "engine/tokenizer.h"
#include "engine/tokenizer_unicode.h"

namespace bitgate::engine {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t start;
  size_t len;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t len;  // combined length when queued; stale if the symbols changed
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    if (a.score != b.score) return a.score < b.score;  // highest score first
    return a.left > b.left;                            // then leftmost
  }
};

}  // namespace

void Tokenizer::EncodeSpm(std::string_view text, std::vector<int32_t>* out) const {
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = DecodeUtf8(text, pos);
    const int idx = static_cast<int>(symbols.size());
    symbols.push_back({idx - 1, idx + 1, pos, static_cast<size_t>(c.len)});
    pos += c.len;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view merged =
        text.substr(symbols[left].start, symbols[left].len + symbols[right].len);
    auto it = token_to_id_.find(std::string(merged));
    if (it == token_to_id_.end()) return;
    const TokenType ty = type(it->second);
    if (ty != TokenType::kNormal && ty != TokenType::kUndefined && ty != TokenType::kUserDefined) return;
    const float score = vocab_.scores.empty() ? 0.0f : vocab_.scores[it->second];
    queue.push({left, right, score, merged.size()});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    if (left.len == 0 || right.len == 0 || left.len + right.len != b.len) continue;
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view piece = text.substr(symbols[i].start, symbols[i].len);
    auto it = token_to_id_.find(std::string(piece));
    if (it != token_to_id_.end()) {
      out->push_back(it->second);
    } else {
      PushByteFallback(piece, out);
    }
  }
}

}  // namespace bitgate::engine
