// bitgate-verdict-sim: prints false-alarm rate and power of the bitgate
// verdict rule beside the Criterion-style rule and a plain uncorrected
// Mann-Whitney test, on the same simulated samples.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/baselines/verdict_sim.h"

using namespace bitgate::baselines;

int main(int argc, char** argv) {
  int runs = 1000;
  uint64_t seed = 1;
  sim::NoiseModel model;
  VerdictConfig config;
  config.bootstrap_resamples = 0;  // the rules compared do not use it
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value for %s\n", a.c_str()), std::exit(2), argv[0]); };
    if (a == "--runs") runs = std::atoi(next());
    else if (a == "--seed") seed = std::strtoull(next(), nullptr, 10);
    else if (a == "--reps") model.repetitions = std::atoi(next());
    else if (a == "--delta") config.delta = std::atof(next());
    else if (a == "--cv-max") model.cv_max = std::atof(next());
    else if (a == "--bimodal-fraction") model.bimodal_fraction = std::atof(next());
    else if (a == "--bimodal-gap") model.bimodal_gap_sigmas = std::atof(next());
    else if (a == "--outliers") model.outlier_probability = std::atof(next());
    else if (a == "--tail") model.tail_probability = std::atof(next());
    else if (a == "--tail-mean") model.tail_mean = std::atof(next());
    else if (a == "--resample") {
      const std::string v = next();
      if (v == "none") model.resample = sim::NoiseModel::Resample::kNone;
      else if (v == "candidate") model.resample = sim::NoiseModel::Resample::kCandidate;
      else if (v == "both") model.resample = sim::NoiseModel::Resample::kBothSides;
      else { std::fprintf(stderr, "--resample takes none, candidate or both\n"); return 2; }
    }
    else if (a == "--help" || a == "-h") {
      std::printf("usage: bitgate-verdict-sim [--runs N] [--seed S] [--reps N] [--delta D] [--cv-max C] [--bimodal-fraction F] [--bimodal-gap SIGMAS] [--outliers P] [--tail P] [--tail-mean M] [--resample none|candidate|both]\n");
      return 0;
    } else {
      std::fprintf(stderr, "unknown option %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  std::printf("# %d runs x %d benchmarks, %d reps/side, CV %.1f%%..%.1f%%, outliers %.0f%%/sample, "
              "bimodal %.0f%% of benchmarks (gap %.1f sigma), tail %.0f%%/sample (mean %.1f%%), %d shifted/run, delta %.0f%%, alpha %.2f, seed %llu, re-sampling %s\n\n",
              runs, model.benchmarks_per_run, model.repetitions, 100 * model.cv_min, 100 * model.cv_max,
              100 * model.outlier_probability, 100 * model.bimodal_fraction, model.bimodal_gap_sigmas,
              100 * model.tail_probability, 100 * model.tail_mean, model.shifted_per_run,
              100 * config.delta, config.alpha, static_cast<unsigned long long>(seed),
              model.resample == sim::NoiseModel::Resample::kNone        ? "none"
              : model.resample == sim::NoiseModel::Resample::kCandidate ? "candidate side"
                                                                       : "both sides (A/B)");
  const double shifts[] = {0.02, 0.05, 0.10};
  const auto aa = sim::Simulate(model, config, 0.0, runs, seed);
  std::vector<std::vector<sim::RuleFigures>> power;
  for (double s : shifts) power.push_back(sim::Simulate(model, config, s, runs, seed + 1));
  std::printf("| rule | A/A runs with any REGRESSION | A/A false alarms per benchmark | power 2%% | power 5%% | power 10%% | power 5%% (unimodal) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (size_t r = 0; r < std::size(sim::kAllRules); ++r) {
    std::printf("| %s | %.2f%% | %.4f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
                sim::RuleName(sim::kAllRules[r]), 100 * aa[r].FalseAlarmRunRate(),
                100.0 * double(aa[r].false_alarms) / double(aa[r].null_rows), 100 * power[0][r].Power(),
                100 * power[1][r].Power(), 100 * power[2][r].Power(), 100 * power[1][r].PowerUnimodal());
  }
  std::printf("\nMisses of the bitgate rule by verdict (5%% / 10%% shift):\n");
  for (int k = 1; k <= 2; ++k)
    for (const auto& [why, count] : power[static_cast<size_t>(k)][0].misses)
      std::printf("  %2.0f%%: %-45s %ld of %ld\n", 100 * shifts[k], why.c_str(), count, power[static_cast<size_t>(k)][0].shifted_rows);
  return 0;
}
