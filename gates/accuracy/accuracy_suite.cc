#include "gates/accuracy/accuracy_suite.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "gates/accuracy/quant_accuracy.h"
#include "gates/files.h"

namespace bitgate::gates::accuracy {
namespace {

using baselines::BenchmarkResult;
using baselines::Direction;
using baselines::MeasureSamples;

// Samples must be finite and > 0 (the statistics work on logs). A figure
// that is exactly 0 (a perfect KL, an identical perplexity) has no ratio to
// judge: the measure is left out and the report says so. Non-finite values
// have already failed their floor.
void AddMeasure(BenchmarkResult* b, const char* name, const char* unit, Direction d, const std::vector<double>& v,
                std::vector<std::string>* notes) {
  for (double x : v) {
    if (!std::isfinite(x) || x <= 0) {
      notes->push_back(b->name + "/" + name + ": not recorded (a sample is " + std::to_string(x) + ")");
      return;
    }
  }
  if (!v.empty()) b->measures.push_back(MeasureSamples{name, unit, d, v});
}

}  // namespace

AccuracySuiteResult RunAccuracySuite(const AccuracySuiteOptions& o) {
  AccuracySuiteResult out;
  nlohmann::json summary = {{"quant", nlohmann::json::array()}, {"simd", nlohmann::json::array()},
                            {"engine", nlohmann::json::array()}};

  for (const auto& q : MeasureQuantAccuracy(o.quant_seeds, o.repetitions, o.quant_rows, o.quant_cols)) {
    BenchmarkResult b;
    b.suite = "accuracy";
    b.name = std::string("quant/") + kernels::FormatName(q.format) + "/" + kernels::PatternName(q.pattern);
    b.params = std::to_string(o.quant_rows) + "x" + std::to_string(o.quant_cols);
    std::vector<double> cos, rel;
    for (const auto& s : q.per_repetition) {
      cos.push_back(s.cosine);
      rel.push_back(s.rel_l2);
    }
    if (!q.failure.empty()) {
      out.correctness_failures.push_back("accuracy/" + b.name + ": " + q.failure);
    }
    AddMeasure(&b, "cosine", "1", Direction::kHigherIsBetter, cos, &out.notes);
    AddMeasure(&b, "rel_l2", "1", Direction::kLowerIsBetter, rel, &out.notes);
    // snr_db (-20 log10 rel_l2, the same figure in dB) and accuracy_pct =
    // 100 (1 - rel_l2) are in summary.json only: judged by ratio, a dB
    // figure near 0 (the sparse and outlier patterns' SNR is under 1 dB)
    // moved 5% for a 0.4% change of rel_l2, and accuracy_pct 6% for 0.3%.
    if (b.measures.empty()) {
      b.status = baselines::BenchmarkStatus::kError;
      b.message = q.failure.empty() ? "no usable samples" : q.failure;
    }
    const auto& s0 = q.per_repetition.empty() ? kernels::ErrorStats{} : q.per_repetition.front();
    nlohmann::json seeds = nlohmann::json::array();
    for (const auto& s : q.per_seed) seeds.push_back({{"cosine", s.cosine}, {"snr_db", s.snr_db}});
    summary["quant"].push_back({{"format", kernels::FormatName(q.format)}, {"pattern", kernels::PatternName(q.pattern)},
                                {"cosine", s0.cosine}, {"rel_l2", s0.rel_l2}, {"snr_db", s0.snr_db},
                                {"accuracy_pct", s0.accuracy_pct}, {"floor_cosine", q.floor.min_cosine},
                                {"floor_snr_db", q.floor.min_snr_db}, {"per_seed", seeds}, {"failure", q.failure}});
    out.benchmarks.push_back(std::move(b));
  }

  // SIMD against scalar: exact (0) when right, so these are checks, not
  // measures (a ratio of zeros judges nothing); the figures are in
  // accuracy/summary.json and the notes.
  int simd_rows = 0;
  struct PathWorst {
    int formats = 0;
    int64_t byte_mismatches = 0;
    double dequant = 0, matmul = 0, tol_ratio = 0;
  };
  std::map<std::string, PathWorst> worst;
  for (const auto& c : CheckSimdPaths(o.seed)) {
    ++simd_rows;
    PathWorst& w = worst[kernels::IsaName(c.isa)];
    ++w.formats;
    w.byte_mismatches += c.quant_byte_mismatches;
    w.dequant = std::max(w.dequant, c.dequant_max_abs_diff);
    w.matmul = std::max(w.matmul, c.matmul_max_abs_diff);
    w.tol_ratio = std::max(w.tol_ratio, c.matmul_max_tol_ratio);
    const std::string what = std::string("accuracy/simd/") + kernels::FormatName(c.format) + "/" +
                             kernels::IsaName(c.isa) + " (runs " + kernels::IsaKernelSuffix(c.implemented) + ")";
    if (!c.failure.empty()) out.correctness_failures.push_back(what + ": " + c.failure);
    summary["simd"].push_back({{"format", kernels::FormatName(c.format)}, {"isa", kernels::IsaName(c.isa)},
                               {"implemented", kernels::IsaKernelSuffix(c.implemented)},
                               {"quant_byte_mismatches", c.quant_byte_mismatches},
                               {"dequant_max_abs_diff", c.dequant_max_abs_diff},
                               {"matmul_max_abs_diff_vs_scalar", c.matmul_max_abs_diff},
                               {"matmul_error_over_tolerance", c.matmul_max_tol_ratio}, {"failure", c.failure}});
  }
  out.notes.push_back("accuracy/simd: " + std::to_string(simd_rows) +
                      " (format, path) checks against the scalar reference and the exact product");
  for (const auto& [isa, w] : worst) {
    char line[256];
    std::snprintf(line, sizeof(line),
                  "accuracy/simd/%s: %d formats; %lld quantized bytes differ, dequantize max |diff| %.3g, "
                  "matmul max |diff| vs scalar %.3g, worst error %.3g x tolerance",
                  isa.c_str(), w.formats, static_cast<long long>(w.byte_mismatches), w.dequant, w.matmul,
                  w.tol_ratio);
    out.notes.push_back(line);
  }

  if (o.engine) {
    const std::string model_digest = o.model_digest.substr(0, 12);
    const EngineAccuracy e = RunEngineAccuracy(o.engine_options);
    for (const auto& f : e.failures) out.correctness_failures.push_back(f);
    for (const auto& n : e.notes) out.notes.push_back(n);
    for (const auto& a : e.artifacts) out.artifacts.push_back(a);
    for (const auto& r : e.results) {
      BenchmarkResult b;
      b.suite = "accuracy";
      b.name = "engine/" + r.format + "/" + r.isa;
      // The model is part of the rows' identity (as in the throughput
      // gate's engine rows): another --preset or --model must never be
      // judged against these figures.
      b.params = "model=" + model_digest + " " + std::to_string(o.engine_options.windows) + "x" +
                 std::to_string(o.engine_options.window_tokens) + " tokens";
      std::vector<double> top1, kl, ppl;
      for (const auto& w : r.repetitions) {
        top1.push_back(w.top1);
        kl.push_back(w.mean_kl);
        ppl.push_back(w.ppl_test);
      }
      nlohmann::json windows = nlohmann::json::array();
      for (const auto& w : r.windows)
        windows.push_back({{"top1", w.top1}, {"mean_kl", w.mean_kl}, {"ppl_ref", w.ppl_ref},
                           {"ppl_test", w.ppl_test}, {"max_abs_diff", w.max_abs_diff}});
      const EngineWindow stream = r.repetitions.empty() ? EngineWindow{} : r.repetitions.front();
      if (!r.error.empty()) {
        b.status = r.failed ? baselines::BenchmarkStatus::kError : baselines::BenchmarkStatus::kSkipped;
        b.message = r.error;
      } else {
        AddMeasure(&b, "top1_agreement", "1", Direction::kHigherIsBetter, top1, &out.notes);
        AddMeasure(&b, "mean_kl", "nats", Direction::kLowerIsBetter, kl, &out.notes);
        // The engine's perplexity itself: its ratio is a change of the
        // model's quality. The distance to the reference (ppl_diff_pct, a
        // few hundredths of a percent) is a floor, not a measure: its ratio
        // moved 13% when the perplexity moved 0.005%.
        AddMeasure(&b, "ppl", "1", Direction::kLowerIsBetter, ppl, &out.notes);
        if (b.measures.empty()) {
          b.status = baselines::BenchmarkStatus::kError;
          b.message = "no usable samples";
        }
      }
      summary["engine"].push_back({{"format", r.format}, {"isa", r.isa}, {"top1", stream.top1},
                                   {"mean_kl", stream.mean_kl}, {"ppl_ref", stream.ppl_ref},
                                   {"ppl_test", stream.ppl_test}, {"windows", windows},
                                   {"cross_path_max_diff", r.cross_path_max_diff}, {"error", r.error}});
      out.benchmarks.push_back(std::move(b));
    }
  } else {
    out.notes.push_back("accuracy/engine: skipped (--no-engine)");
  }

  const std::filesystem::path path = std::filesystem::path(o.engine_options.out_dir) / "accuracy" / "summary.json";
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (Status s = WriteFileAtomically(path.string(),
                                     summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      !s.ok()) {
    out.notes.push_back("accuracy/summary.json: " + s.message());
  } else {
    out.artifacts.push_back(path.string());
  }
  return out;
}

}  // namespace bitgate::gates::accuracy
