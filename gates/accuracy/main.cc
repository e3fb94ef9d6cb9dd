// bitgate-accuracy: the accuracy gate. Quantization accuracy per format and
// data pattern, SIMD paths against the scalar reference, and the quantized
// engine against the FP32 reference once per kernel path; every figure has
// a floor (exit 4 below it) and is recorded with samples for the baseline.
//
//   bitgate-accuracy [--model FILE] [--formats auto,i2_s,...] [common gate options]
#include <unistd.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "baselines/stats.h"
#include "engine/model.h"
#include "engine/sha256.h"
#include "gates/accuracy/accuracy_suite.h"
#include "gates/gate_main.h"
#include "kernels/format.h"

namespace {

namespace po = boost::program_options;
namespace acc = bitgate::gates::accuracy;
using bitgate::Status;

std::string SelfPath(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : p.string();
}

// "0.85", not "0.84999999999999998", in --help.
std::string Short(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

// What --formats accepts: auto and the ternary formats.
std::string EngineFormatNames() {
  std::string names = "auto";
  for (int i = 0; i < bitgate::kernels::kFormatCount; ++i) {
    const auto& info = bitgate::kernels::Info(static_cast<bitgate::kernels::Format>(i));
    if (info.ternary) names += std::string(", ") + info.name;
  }
  return names;
}

// The samples of a figure are equal, so the best a changed figure can do is
// the exact test's smallest p; Benjamini-Hochberg over the run's m rows
// makes a lone changed row's q = m p. When that cannot reach alpha, a
// single figure that got worse is never a REGRESSION: said in the report.
std::optional<std::string> LoneChangeNote(const std::vector<bitgate::baselines::BenchmarkResult>& benchmarks,
                                          int repetitions, double alpha) {
  size_t rows = 0;
  for (const auto& b : benchmarks) rows += b.measures.size();
  auto q = [&](int n) { return bitgate::baselines::SmallestAchievableP(n, n) * static_cast<double>(rows); };
  if (rows == 0 || q(repetitions) < alpha) return std::nullopt;
  int needed = repetitions + 1;
  while (needed < 25 && q(needed) >= alpha) ++needed;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "accuracy: with %d repetitions one changed figure among %zu rows reaches at best "
                "q = %.2g (alpha %g), so it cannot be a REGRESSION; --repetitions %d (on the baseline "
                "too) can",
                repetitions, rows, q(repetitions), alpha, needed);
  return std::string(buf);
}

Status AccuracyBody(bitgate::gates::GateContext& ctx, const std::string& self) {
  acc::AccuracySuiteOptions o;
  o.seed = ctx.options.seed;
  o.quant_seeds = ctx.vm["quant-seeds"].as<int>();
  o.repetitions = ctx.vm["repetitions"].as<int>();
  o.engine = !ctx.vm["no-engine"].as<bool>();
  auto& e = o.engine_options;
  e.self_exe = self;
  e.out_dir = ctx.options.out_dir;
  e.windows = ctx.vm["windows"].as<int>();
  e.window_tokens = ctx.vm["window-tokens"].as<int>();
  e.repetitions = o.repetitions;
  e.floors.min_top1 = ctx.vm["min-top1"].as<double>();
  e.floors.max_kl = ctx.vm["max-kl"].as<double>();
  e.floors.max_ppl_diff_pct = ctx.vm["max-ppl-diff-pct"].as<double>();
  // Floors that always pass (a ceiling of inf) or always fail (NaN, a
  // top-1 floor above 1) make a gate that decides nothing.
  if (!(e.floors.min_top1 > 0 && e.floors.min_top1 <= 1))
    return Status::Error("--min-top1 must lie in (0, 1] (a floor of 0 passes whatever the engine computes)");
  if (!(e.floors.max_kl >= 0 && std::isfinite(e.floors.max_kl)))
    return Status::Error("--max-kl must be a finite number >= 0");
  if (!(e.floors.max_ppl_diff_pct >= 0 && std::isfinite(e.floors.max_ppl_diff_pct)))
    return Status::Error("--max-ppl-diff-pct must be a finite number >= 0");
  if (o.quant_seeds < 1 || e.windows < 1 || e.window_tokens < 2 || o.repetitions < 2)
    return Status::Error("--quant-seeds and --windows must be >= 1, --window-tokens and --repetitions >= 2");
  e.formats_explicit = !ctx.vm["formats"].defaulted();
  e.formats.clear();
  std::stringstream ss(ctx.vm["formats"].as<std::string>());
  for (std::string f; std::getline(ss, f, ',');)
    if (!f.empty()) e.formats.push_back(f);
  // A format the engine cannot repack into would only be noted as not run:
  // a typo would silently drop it from the gate.
  for (const auto& f : e.formats) {
    const auto format = bitgate::kernels::FormatFromName(f);
    if (f != "auto" && !(format && bitgate::kernels::Info(*format).ternary))
      return Status::Error("--formats: '" + f + "' is not a ternary format (" + EngineFormatNames() + ")");
  }
  // "auto" first, each format once (a repeated one made two rows of one
  // name, refused by the store after the whole run).
  std::vector<std::string> unique = {"auto"};
  for (const auto& f : e.formats)
    if (std::find(unique.begin(), unique.end(), f) == unique.end()) unique.push_back(f);
  e.formats = std::move(unique);
  if (o.engine) {
    // A missing file is a usage error (exit 2); a file that is there but
    // does not load is a correctness failure (exit 4), found by the suite.
    if (!ctx.options.model.empty() && !std::filesystem::exists(ctx.options.model))
      return Status::Error("--model " + ctx.options.model + ": no such file");
    auto model = ctx.ModelPath();
    if (!model.ok()) return model.status();
    e.model = *model;
    auto digest = bitgate::engine::Sha256FileHex(e.model);
    if (!digest.ok()) return digest.status().WithContext("--model " + e.model);
    o.model_digest = *digest;
    // A window the model's context cannot hold is a bad option (exit 2),
    // not a model that fails (exit 4). A model that does not load is left
    // to the suite, which reports it as a correctness failure.
    if (auto m = bitgate::engine::Model::Load(e.model); m.ok() && e.window_tokens > (*m)->config().n_ctx)
      return Status::Error("--window-tokens " + std::to_string(e.window_tokens) + " exceeds the model's context (" +
                           std::to_string((*m)->config().n_ctx) + " tokens)");
  }
  auto r = acc::RunAccuracySuite(o);
  auto& out = ctx.output;
  for (auto& b : r.benchmarks) out.run.benchmarks.push_back(std::move(b));
  for (auto& f : r.correctness_failures) out.correctness_failures.push_back(std::move(f));
  for (auto& n : r.notes) out.notes.push_back(std::move(n));
  for (auto& a : r.artifacts) out.artifacts.push_back(std::move(a));
  if (auto note = LoneChangeNote(out.run.benchmarks, o.repetitions, ctx.options.verdict.alpha))
    out.notes.push_back(*note);
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--engine-child") return acc::EngineChildMain(argc, argv);
  const std::string self = SelfPath(argv[0]);
  const acc::EngineFloors floors;
  po::options_description extra("accuracy options");
  extra.add_options()
      ("formats", po::value<std::string>()->default_value("auto,i2_s,tq2_0,tq1_0,i2s,tl1,tl2"),
       "engine weight formats: auto (as stored) and ternary formats to repack into at load")
      ("windows", po::value<int>()->default_value(4), "token-stream windows (fresh session each)")
      ("window-tokens", po::value<int>()->default_value(32), "tokens per window")
      ("quant-seeds", po::value<int>()->default_value(5), "pattern tensors per (format, pattern)")
      // 10: a lone changed figure must be able to reach q < alpha among the
      // run's ~230 rows (docs/GATES.md, "Why 10 repetitions").
      ("repetitions", po::value<int>()->default_value(acc::AccuracySuiteOptions{}.repetitions),
       "samples per measure: each figure is recomputed this often (and must not change)")
      ("min-top1", po::value<double>()->default_value(floors.min_top1, Short(floors.min_top1)), "floor: top-1 agreement over the stream")
      ("max-kl", po::value<double>()->default_value(floors.max_kl, Short(floors.max_kl)), "ceiling: mean KL divergence (nats)")
      ("max-ppl-diff-pct", po::value<double>()->default_value(floors.max_ppl_diff_pct, Short(floors.max_ppl_diff_pct)),
       "ceiling: perplexity difference over the stream (%)")
      ("no-engine", po::bool_switch(), "kernel accuracy only (no model)");
  return bitgate::gates::RunGateMain("accuracy", argc, argv, extra,
                                     [&](bitgate::gates::GateContext& ctx) { return AccuracyBody(ctx, self); });
}
