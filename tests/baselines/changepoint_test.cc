// Change-point detection on synthetic histories with known steps.
#include "baselines/changepoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace bitgate::baselines {
namespace {

// Deterministic +/-0.5% wiggle (a fixed pattern, no RNG) around a level.
std::vector<double> Series(const std::vector<std::pair<int, double>>& segments) {
  static const double kWiggle[] = {0.004, -0.003, 0.001, -0.005, 0.002, 0.0, -0.001, 0.003, -0.002, 0.005};
  std::vector<double> out;
  for (const auto& [count, level] : segments)
    for (int i = 0; i < count; ++i) out.push_back(level * (1.0 + kWiggle[out.size() % 10]));
  return out;
}

TEST(ChangePointTest, FindsOneStepAndItsIndex) {
  const auto v = Series({{20, 100.0}, {15, 108.0}});
  const auto cps = DetectChangePoints(v, ChangePointOptions{});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 20u);
  EXPECT_NEAR(cps[0].ratio, 1.08, 0.005);
}

TEST(ChangePointTest, FindsTwoStepsUpAndDown) {
  const auto v = Series({{12, 100.0}, {10, 105.0}, {12, 95.0}});
  const auto cps = DetectChangePoints(v, ChangePointOptions{});
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[0].index, 12u);
  EXPECT_EQ(cps[1].index, 22u);
  EXPECT_LT(cps[1].ratio, 1.0);
}

TEST(ChangePointTest, FlatSeriesAndSingleSpikeHaveNoStep) {
  EXPECT_TRUE(DetectChangePoints(Series({{40, 100.0}}), ChangePointOptions{}).empty());
  auto spike = Series({{40, 100.0}});
  spike[17] *= 1.5;  // one slow run: shorter than the minimum segment
  EXPECT_TRUE(DetectChangePoints(spike, ChangePointOptions{}).empty());
  EXPECT_TRUE(DetectChangePoints(std::vector<double>{1.0, 2.0}, ChangePointOptions{}).empty());
}

TEST(ChangePointTest, StepSmallerThanMinStepIsNotReported) {
  const auto v = Series({{20, 100.0}, {20, 100.5}});
  ChangePointOptions options;
  options.min_step = 0.01;
  EXPECT_TRUE(DetectChangePoints(v, options).empty());
}

TEST(ChangePointTest, NoisyFlatSeriesHasNoStepAndNoisyStepIsFound) {
  std::mt19937_64 rng(7);
  auto normal = [&]() {  // Box-Muller: the same stream on every platform
    const double u1 = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  };
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> flat, step;
    for (int i = 0; i < 200; ++i) flat.push_back(100.0 * std::exp(0.01 * normal()));
    EXPECT_TRUE(DetectChangePoints(flat, ChangePointOptions{}).empty()) << "trial " << trial;
    for (int i = 0; i < 60; ++i) step.push_back((i < 35 ? 100.0 : 103.0) * std::exp(0.01 * normal()));
    const auto cps = DetectChangePoints(step, ChangePointOptions{});
    ASSERT_EQ(cps.size(), 1u) << "trial " << trial;
    EXPECT_NEAR(static_cast<double>(cps[0].index), 35.0, 2.0);
  }
}

// Quantized medians (a coarse timer, an integer measure): most consecutive
// runs repeat exactly, so the MAD of the differences is 0. No level moves,
// and none may be reported.
TEST(ChangePointTest, RepeatedMediansAreNotSteps) {
  std::vector<double> v;
  // 10 10 10 11 10 10 10 10 11 11 ...: the MAD-only noise was 0 here and
  // five "steps" came out.
  const auto high = [](int i) { return i % 5 == 3 || (i % 5 == 4 && i % 2 == 1); };
  for (int i = 0; i < 30; ++i) v.push_back(high(i) ? 11.0 : 10.0);
  EXPECT_GT(SeriesSigmaLog(v), 0.01);
  EXPECT_TRUE(DetectChangePoints(v, ChangePointOptions{}).empty());
  // A real 20% step in the same kind of series is still found.
  for (int i = 30; i < 45; ++i) v.push_back(high(i) ? 13.2 : 12.0);
  const auto cps = DetectChangePoints(v, ChangePointOptions{});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_NEAR(static_cast<double>(cps[0].index), 30.0, 2.0);  // runs 28-29 (11) sit between the levels
}

// A deterministic measure (the same value every run) that jumps in the
// latest run: the MAD of the window is 0, and the jump must still stand out.
TEST(ChangePointTest, RobustZOnAFlatWindow) {
  std::vector<double> v(12, 100.0);
  EXPECT_EQ(LastPointRobustZ(v, 20), 0.0);
  v.push_back(150.0);
  EXPECT_GT(LastPointRobustZ(v, 20), 3.5);
  // Mostly flat with a few different values: the mean absolute deviation.
  std::vector<double> w = {100, 100, 100, 101, 100, 100, 100, 99, 100, 100, 100, 100};
  w.push_back(100.5);
  EXPECT_LT(std::fabs(LastPointRobustZ(w, 20)), 3.5);
  w.back() = 110;
  EXPECT_GT(LastPointRobustZ(w, 20), 3.5);
}

TEST(ChangePointTest, RobustZFlagsTheLastPoint) {
  auto v = Series({{30, 100.0}});
  EXPECT_LT(std::fabs(LastPointRobustZ(v, 20)), 3.5);
  v.push_back(110.0);
  EXPECT_GT(LastPointRobustZ(v, 20), 3.5);
}

}  // namespace
}  // namespace bitgate::baselines
