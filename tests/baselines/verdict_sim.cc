#include "tests/baselines/verdict_sim.h"

#include <cmath>
#include <random>

namespace bitgate::baselines::sim {
namespace {

// Box-Muller on mt19937_64 output: the same stream on every platform
// (std::normal_distribution is implementation-defined).
class Gen {
 public:
  explicit Gen(uint64_t seed) : engine_(seed) {}
  double Uniform() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  double Normal() {
    return std::sqrt(-2.0 * std::log(Uniform())) * std::cos(2.0 * M_PI * Uniform());
  }

 private:
  std::mt19937_64 engine_;
};

struct Benchmark {
  double level, sigma;
  bool bimodal;
  double weight, gap;
};

double Draw(Gen& g, const Benchmark& b, const NoiseModel& m, double factor) {
  double log_x = std::log(b.level * factor) + b.sigma * g.Normal();
  if (b.bimodal && g.Uniform() < b.weight) log_x += b.gap;
  double x = std::exp(log_x);
  if (g.Uniform() < m.tail_probability) x *= 1.0 - m.tail_mean * std::log(g.Uniform());
  if (g.Uniform() < m.outlier_probability) x *= 1.0 + g.Uniform(m.outlier_min, m.outlier_max);
  return x;
}

// gates/gate_main.cc's WantsMoreSamples, the rule the re-sampling round uses.
bool WantsMoreSamples(const ComparisonRow& row) {
  if (row.verdict == Verdict::kRegression || row.verdict == Verdict::kImprovement) return true;
  return row.verdict == Verdict::kInconclusive &&
         (row.reason == Reason::kUnderPowered || row.reason == Reason::kNoisy || row.reason == Reason::kBimodal);
}

bool Flags(Rule rule, const ComparisonRow& row) {
  switch (rule) {
    case Rule::kBitgate: return row.verdict == Verdict::kRegression;
    case Rule::kConfirmed: return row.verdict == Verdict::kRegression && row.confirmed;
    case Rule::kCriterion: return row.p < 0.05 && row.ratio_lower > 1.0 + row.delta;
    case Rule::kPlainMw: return row.p < 0.05 && row.ratio > 1.0;
  }
  return false;
}

}  // namespace

const char* RuleName(Rule rule) {
  switch (rule) {
    case Rule::kBitgate: return "bitgate (BH, point estimate)";
    case Rule::kConfirmed: return "bitgate confirmed (BH, interval)";
    case Rule::kCriterion: return "Criterion-style (p<0.05, interval)";
    case Rule::kPlainMw: return "plain Mann-Whitney p<0.05";
  }
  return "?";
}

std::vector<RuleFigures> Simulate(const NoiseModel& model, const VerdictConfig& config,
                                  double shift, int runs, uint64_t seed) {
  Gen g(seed);
  std::vector<RuleFigures> figures(std::size(kAllRules));
  std::vector<Benchmark> benchmarks(static_cast<size_t>(model.benchmarks_per_run));
  std::vector<ComparisonInput> inputs(benchmarks.size());
  for (int run = 0; run < runs; ++run) {
    for (size_t i = 0; i < benchmarks.size(); ++i) {
      Benchmark& b = benchmarks[i];
      b.level = std::exp(g.Uniform(std::log(100.0), std::log(1e6)));
      const double cv = g.Uniform(model.cv_min, model.cv_max);
      b.sigma = std::sqrt(std::log1p(cv * cv));  // log-normal with this CV
      b.bimodal = g.Uniform() < model.bimodal_fraction;
      b.weight = g.Uniform(model.bimodal_weight_min, model.bimodal_weight_max);
      b.gap = model.bimodal_gap_sigmas * b.sigma;
      const bool shifted = shift != 0.0 && static_cast<int>(i) < model.shifted_per_run;
      ComparisonInput& in = inputs[i];
      in.benchmark = "sim/" + std::to_string(i);
      in.measure = "time";
      in.unit = "ns";
      in.baseline.resize(static_cast<size_t>(model.repetitions));
      in.candidate.resize(static_cast<size_t>(model.repetitions));
      for (auto& x : in.baseline) x = Draw(g, b, model, 1.0);
      for (auto& x : in.candidate) x = Draw(g, b, model, shifted ? 1.0 + shift : 1.0);
    }
    auto rows = CompareAll(inputs, config);
    if (model.resample != NoiseModel::Resample::kNone) {
      bool any = false;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!WantsMoreSamples(rows[i])) continue;
        any = true;
        const Benchmark& b = benchmarks[i];
        const bool shifted = shift != 0.0 && static_cast<int>(i) < model.shifted_per_run;
        for (int r = 0; r < model.repetitions; ++r) {
          inputs[i].candidate.push_back(Draw(g, b, model, shifted ? 1.0 + shift : 1.0));
          if (model.resample == NoiseModel::Resample::kBothSides) inputs[i].baseline.push_back(Draw(g, b, model, 1.0));
        }
      }
      if (any) rows = CompareAll(inputs, config);
    }
    for (size_t r = 0; r < std::size(kAllRules); ++r) {
      RuleFigures& f = figures[r];
      bool false_alarm = false;
      for (size_t i = 0; i < rows.size(); ++i) {
        const bool shifted = shift != 0.0 && static_cast<int>(i) < model.shifted_per_run;
        const bool flagged = Flags(kAllRules[r], rows[i]);
        if (shifted) {
          ++f.shifted_rows;
          f.detected += flagged;
          if (!flagged) {
            const auto& row = rows[i];
            ++f.misses[std::string(VerdictName(row.verdict)) + " " + ReasonName(row.reason) +
                       (benchmarks[i].bimodal ? " (two-mode noise)" : "")];
          }
          if (!benchmarks[i].bimodal) {
            ++f.shifted_unimodal_rows;
            f.detected_unimodal += flagged;
          }
        } else {
          ++f.null_rows;
          f.false_alarms += flagged;
          false_alarm |= flagged;
        }
      }
      ++f.runs;
      f.runs_with_false_alarm += false_alarm;
    }
  }
  return figures;
}

}  // namespace bitgate::baselines::sim
