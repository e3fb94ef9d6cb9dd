// Byte-level BPE ("gpt2") encoding: LLaMA-3 pre-tokenization, then per
// word the classic merge loop: map bytes to GPT-2's printable code points,
// start from one symbol per byte, repeatedly merge the adjacent pair with
// the best (lowest) merge rank (ties: leftmost), map symbols to ids.
#include <queue>
#include <vector>

#include "engine/tokenizer.h"
#include "engine/tokenizer_unicode.h"

namespace bitgate::engine {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t start;  // in the byte-level string
  size_t len;    // 0 once merged into its left neighbour
};

struct Pair {
  int left;
  int right;
  int rank;
  size_t len;
};

struct PairOrder {
  bool operator()(const Pair& a, const Pair& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;  // lowest rank first
    return a.left > b.left;                        // then leftmost
  }
};

}  // namespace

int Tokenizer::MergeRank(std::string_view left, std::string_view right) const {
  std::string key;
  key.reserve(left.size() + right.size() + 1);
  key.append(left).append(1, ' ').append(right);
  auto it = merge_rank_.find(key);
  return it == merge_rank_.end() ? -1 : it->second;
}

void Tokenizer::EncodeBpeWord(std::string_view word, std::vector<int32_t>* out) const {
  const std::string mapped = BytesToByteLevel(word);
  // LLaMA-3 ("ignore_merges"): a word that is itself a token is taken whole.
  // GPT-2 always runs the merges.
  if (auto it = token_to_id_.find(mapped); !gpt2_pretokenizer_ && it != token_to_id_.end()) {
    out->push_back(it->second);
    return;
  }
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < mapped.size();) {
    const Utf8Char c = DecodeUtf8(mapped, pos);  // always valid: we encoded it
    const int idx = static_cast<int>(symbols.size());
    symbols.push_back({idx - 1, idx + 1, pos, static_cast<size_t>(c.len)});
    pos += c.len;
  }
  symbols.back().next = -1;
  const std::string_view text = mapped;
  auto sym = [&](int i) { return text.substr(symbols[i].start, symbols[i].len); };

  std::priority_queue<Pair, std::vector<Pair>, PairOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const int rank = MergeRank(sym(left), sym(right));
    if (rank >= 0) queue.push({left, right, rank, symbols[left].len + symbols[right].len});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    const Pair p = queue.top();
    queue.pop();
    Symbol& left = symbols[p.left];
    Symbol& right = symbols[p.right];
    if (left.len == 0 || right.len == 0 || left.len + right.len != p.len) continue;
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = p.left;
    try_add(left.prev, p.left);
    try_add(p.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    auto it = token_to_id_.find(std::string(sym(i)));
    if (it != token_to_id_.end()) {
      out->push_back(it->second);
      continue;
    }
    // A merge result missing from the vocabulary (a malformed vocab):
    // fall back to one token per byte.
    const std::string_view piece = sym(i);
    for (size_t pos = 0; pos < piece.size();) {
      const Utf8Char c = DecodeUtf8(piece, pos);
      const int b = CodepointToByte(c.cp);
      if (b >= 0) PushByteFallback(std::string(1, static_cast<char>(b)), out);
      pos += c.len;
    }
  }
}

void Tokenizer::EncodeBpe(std::string_view text, std::vector<int32_t>* out) const {
  const std::vector<std::string_view> words =
      gpt2_pretokenizer_ ? PreTokenizeGpt2(text) : PreTokenizeLlama3(text);
  for (std::string_view word : words) EncodeBpeWord(word, out);
}

}  // namespace bitgate::engine
