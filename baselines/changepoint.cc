#include "baselines/changepoint.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>

#include "baselines/stats.h"

namespace bitgate::baselines {

double SeriesSigmaLog(std::span<const double> values) {
  if (values.size() < 3) return 0.0;
  std::vector<double> diffs;
  for (size_t i = 1; i < values.size(); ++i) diffs.push_back(std::log(values[i]) - std::log(values[i - 1]));
  // MAD around zero: differences of a constant level are centred on 0, and
  // a few steps only move a few differences.
  for (double& d : diffs) d = std::fabs(d);
  const double mad = 1.4826 * Median(diffs);
  if (mad > 0.0) return mad / std::sqrt(2.0);
  // More than half of the consecutive levels repeat exactly (a quantized
  // measure): the MAD says "no noise" and every short cluster would buy a
  // split. The root mean square of the differences still sees the noise
  // (zero only for a perfectly flat series).
  double sq = 0;
  for (double d : diffs) sq += d * d;
  return std::sqrt(sq / static_cast<double>(diffs.size())) / std::sqrt(2.0);
}

namespace {

// Sum of absolute deviations from the median of a growing set: two heaps
// hold the lower and upper halves with their sums, so each insertion and
// query costs O(log n).
class RunningAbsDeviation {
 public:
  void Add(double v) {
    if (low_.empty() || v <= low_.top()) {
      low_.push(v);
      low_sum_ += v;
    } else {
      high_.push(v);
      high_sum_ += v;
    }
    if (low_.size() > high_.size() + 1) {
      high_sum_ += low_.top();
      low_sum_ -= low_.top();
      high_.push(low_.top());
      low_.pop();
    } else if (high_.size() > low_.size()) {
      low_sum_ += high_.top();
      high_sum_ -= high_.top();
      low_.push(high_.top());
      high_.pop();
    }
  }
  double Cost() const {
    const double med = low_.top();  // a median: any point between the halves minimises the sum
    return (med * static_cast<double>(low_.size()) - low_sum_) +
           (high_sum_ - med * static_cast<double>(high_.size()));
  }
  double Median() const { return low_.top(); }

 private:
  std::priority_queue<double> low_;
  std::priority_queue<double, std::vector<double>, std::greater<double>> high_;
  double low_sum_ = 0, high_sum_ = 0;
};

}  // namespace

std::vector<ChangePoint> DetectChangePoints(std::span<const double> values, const ChangePointOptions& options) {
  const size_t n = values.size();
  const size_t m = static_cast<size_t>(std::max(1, options.min_segment));
  std::vector<ChangePoint> out;
  if (n < 2 * m) return out;
  std::vector<double> logs(n);
  for (size_t i = 0; i < n; ++i) logs[i] = std::log(values[i]);
  // A perfectly flat series still needs a finite penalty: floor sigma far
  // below any timer's resolution.
  const double sigma = std::max(SeriesSigmaLog(values), 1e-6);
  // L1 (absolute deviation) cost, as asv's Potts fit: one slow run inside a
  // short segment does not move that segment's median, so it buys no split.
  // A level split of a pure-noise series gains about 0.8 sigma sqrt(n); a
  // real step of d over L points gains about L d.
  const double penalty = options.penalty_scale * 4.0 * sigma * std::log(static_cast<double>(n));

  // Optimal partitioning, exact, in "push" order: best[s] is final once
  // every start before s has been extended. O(n^2 log n).
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> best(n + 1, inf);
  std::vector<size_t> last(n + 1, 0);
  best[0] = -penalty;
  for (size_t s = 0; s + m <= n; ++s) {
    if (best[s] == inf || (s != 0 && s < m)) continue;
    RunningAbsDeviation seg;
    for (size_t t = s; t < n; ++t) {
      seg.Add(logs[t]);
      const size_t end = t + 1;
      if (end - s < m) continue;
      const double c = best[s] + seg.Cost() + penalty;
      if (c < best[end]) {
        best[end] = c;
        last[end] = s;
      }
    }
  }
  std::vector<size_t> bounds;  // segment starts
  for (size_t t = n; t > 0; t = last[t]) bounds.push_back(last[t]);
  std::reverse(bounds.begin(), bounds.end());
  bounds.push_back(n);
  auto level = [&](size_t s, size_t t) {
    std::vector<double> seg(values.begin() + static_cast<std::ptrdiff_t>(s),
                            values.begin() + static_cast<std::ptrdiff_t>(t));
    return Median(seg);
  };
  for (size_t k = 1; k + 1 < bounds.size(); ++k) {
    ChangePoint cp;
    cp.index = bounds[k];
    cp.before = level(bounds[k - 1], bounds[k]);
    cp.after = level(bounds[k], bounds[k + 1]);
    cp.ratio = cp.after / cp.before;
    if (std::fabs(cp.ratio - 1.0) >= options.min_step) out.push_back(cp);
  }
  return out;
}

double LastPointRobustZ(std::span<const double> values, int window) {
  if (values.size() < 6) return 0.0;
  const size_t end = values.size() - 1;
  const size_t begin = end > static_cast<size_t>(window) ? end - static_cast<size_t>(window) : 0;
  std::vector<double> prior;
  for (size_t i = begin; i < end; ++i) prior.push_back(std::log(values[i]));
  const double med = Median(prior);
  // Robust sigma: 1.4826 MAD; when more than half of the window sits on
  // one value the MAD is 0, so the mean absolute deviation (x 1.2533, a
  // normal's sigma) takes over, and a perfectly flat window gets the floor
  // the change-point penalty uses, far below any timer's resolution: a
  // deterministic measure that jumps is an alert, not a z of 0.
  double sigma = 1.4826 * Mad(prior);
  if (sigma == 0.0) {
    double abs_dev = 0;
    for (double v : prior) abs_dev += std::fabs(v - med);
    sigma = std::max(1.2533 * abs_dev / static_cast<double>(prior.size()), 1e-6);
  }
  return (std::log(values[end]) - med) / sigma;
}

}  // namespace bitgate::baselines
