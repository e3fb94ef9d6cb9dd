// Stop conditions for generation: stop token ids (O(1) bitset lookup),
// stop strings matched across token boundaries, and a token budget.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitgate::engine {

// A set of token ids as a flat bitset: Contains() is one bounds check, one
// load and one shift (bench: `bitgate-bench-engine --benchmark_filter=stop/`).
// 128256 ids take 16 KB, which stays in L1/L2.
class StopTokenSet {
 public:
  StopTokenSet() = default;
  explicit StopTokenSet(const std::vector<int32_t>& ids) {
    for (int32_t id : ids) Add(id);
  }
  void Add(int32_t id);  // negative ids are ignored
  bool Contains(int32_t id) const {
    const uint32_t u = static_cast<uint32_t>(id);  // negative -> huge -> out of range
    const uint32_t word = u >> 6;
    return word < bits_.size() && ((bits_[word] >> (u & 63)) & 1u) != 0;
  }
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

 private:
  std::vector<uint64_t> bits_;
  size_t count_ = 0;
};

// Finds stop strings in streamed text. Text that might be the start of a
// stop string is held back until the next piece decides it, so a stop
// string split across tokens ("</" + "end>") is never partly emitted.
class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops = {});

  struct Output {
    std::string text;      // safe to emit now
    bool stopped = false;  // a stop string completed; `text` ends before it
    std::string matched;   // which one
  };
  Output Push(std::string_view piece);
  // End of generation without a stop string: the held-back text.
  std::string Flush();
  size_t held_bytes() const { return held_.size(); }

 private:
  std::vector<std::string> stops_;
  std::string held_;
};

enum class StopReason { kNone, kStopToken, kStopString, kMaxTokens };
const char* StopReasonName(StopReason r);

struct StopConfig {
  std::vector<int32_t> stop_ids;          // e.g. Tokenizer::EndOfGenerationIds()
  std::vector<std::string> stop_strings;
  int32_t max_tokens = -1;                // -1: no limit
};

// Applies all three conditions to each generated token, in order: a stop
// token ends generation without emitting its text; a stop string ends it
// with the text before the string; the budget ends it after the token.
class StopChecker {
 public:
  explicit StopChecker(const StopConfig& cfg)
      : ids_(cfg.stop_ids), strings_(cfg.stop_strings), max_tokens_(cfg.max_tokens) {}

  struct Step {
    std::string text;  // to emit for this token (may be empty: held back)
    StopReason reason = StopReason::kNone;
  };
  // `piece` is the token's decoded text (DetokenizerStream::Push output).
  Step Next(int32_t id, std::string_view piece);
  std::string Flush() { return strings_.Flush(); }
  int32_t generated() const { return generated_; }
  bool IsStopToken(int32_t id) const { return ids_.Contains(id); }

 private:
  StopTokenSet ids_;
  StopStringMatcher strings_;
  int32_t max_tokens_;
  int32_t generated_ = 0;
};

}  // namespace bitgate::engine
