// Change points in a benchmark's history: a penalised piecewise-constant
// fit (absolute deviations from segment medians on log values, solved
// exactly by optimal partitioning) with a minimum segment length, so a
// single spike is never a step.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace bitgate::baselines {

struct ChangePointOptions {
  int min_segment = 3;        // points per segment; a spike shorter than this is noise
  double penalty_scale = 1.0; // multiplies the penalty 4 sigma ln(n) per segment
  double min_step = 0.01;     // relative steps smaller than this are not reported
};

struct ChangePoint {
  size_t index = 0;       // first point of the new level
  double before = 0;      // level (median) of the segment before
  double after = 0;       // level of the segment from `index` on
  double ratio = 1;       // after / before
};

// `values` are positive (one per run, e.g. the run's median), oldest first.
std::vector<ChangePoint> DetectChangePoints(std::span<const double> values, const ChangePointOptions& options);

// Noise level of a series robust to steps: 1.4826 MAD of the first
// differences of log values, divided by sqrt(2); their root mean square
// when the MAD is 0 (most consecutive values repeat exactly).
double SeriesSigmaLog(std::span<const double> values);

// Robust z-score of the last value against the `window` values before it
// ((x - median) / (1.4826 MAD) on logs; when the MAD is 0, 1.2533 x the mean
// absolute deviation, floored at 1e-6); 0 with fewer than 5 prior points.
// Catches slow creep that no single step shows.
double LastPointRobustZ(std::span<const double> values, int window);

}  // namespace bitgate::baselines
