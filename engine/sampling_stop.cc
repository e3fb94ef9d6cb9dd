#include "engine/sampling_stop.h"

#include <algorithm>

namespace bitgate::engine {

void StopTokenSet::Add(int32_t id) {
  if (id < 0) return;
  const uint32_t u = static_cast<uint32_t>(id);
  if ((u >> 6) >= bits_.size()) bits_.resize((u >> 6) + 1, 0);
  const uint64_t mask = uint64_t(1) << (u & 63);
  if ((bits_[u >> 6] & mask) == 0) ++count_;
  bits_[u >> 6] |= mask;
}

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  for (auto& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

StopStringMatcher::Output StopStringMatcher::Push(std::string_view piece) {
  Output out;
  held_.append(piece);
  // The earliest complete stop string wins (the longest at equal starts).
  size_t best_pos = std::string::npos;
  const std::string* best = nullptr;
  for (const std::string& s : stops_) {
    const size_t pos = held_.find(s);
    if (pos == std::string::npos) continue;
    if (pos < best_pos || (pos == best_pos && s.size() > best->size())) {
      best_pos = pos;
      best = &s;
    }
  }
  if (best != nullptr) {
    out.text = held_.substr(0, best_pos);
    out.stopped = true;
    out.matched = *best;
    held_.clear();
    return out;
  }
  // Hold back the longest suffix that is a proper prefix of a stop string.
  size_t hold = 0;
  for (const std::string& s : stops_) {
    const size_t max_len = std::min(s.size() - 1, held_.size());
    for (size_t len = max_len; len > hold; --len) {
      if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  out.text = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return out;
}

std::string StopStringMatcher::Flush() {
  std::string out;
  out.swap(held_);
  return out;
}

const char* StopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kNone: return "none";
    case StopReason::kStopToken: return "stop_token";
    case StopReason::kStopString: return "stop_string";
    case StopReason::kMaxTokens: return "max_tokens";
  }
  return "unknown";
}

StopChecker::Step StopChecker::Next(int32_t id, std::string_view piece) {
  Step step;
  ++generated_;
  if (ids_.Contains(id)) {
    step.text = strings_.Flush();
    step.reason = StopReason::kStopToken;
    return step;
  }
  StopStringMatcher::Output o = strings_.Push(piece);
  step.text = std::move(o.text);
  if (o.stopped) {
    step.reason = StopReason::kStopString;
    return step;
  }
  if (max_tokens_ >= 0 && generated_ >= max_tokens_) {
    step.text += strings_.Flush();
    step.reason = StopReason::kMaxTokens;
  }
  return step;
}

}  // namespace bitgate::engine
