// The shared skeleton of every gate executable (bitgate-throughput,
// bitgate-accuracy, bitgate-fuzz): common options, the model, storing the
// run, judging it against its baseline, the reports and the exit code.
//
// A gate's main() is one call:
//
//   int main(int argc, char** argv) {
//     po::options_description extra("throughput options");
//     extra.add_options()("repetitions", po::value<int>()->default_value(10), "...");
//     return bitgate::gates::RunGateMain("throughput", argc, argv, extra, &Body);
//   }
//
// THE BODY CONTRACT (Status Body(GateContext& ctx)):
// - Read options from ctx.options (common ones, parsed) and ctx.vm (the
//   gate's extra options). ctx.ModelPath() returns --model, or synthesizes
//   the default model once (--preset, i2_s, seed 1) and caches it under
//   <dir of --db>/models/; call it only if the gate needs a model.
// - Write artifacts (receipts, reproducers, raw JSON) under
//   ctx.options.out_dir (created before the body runs) and list them in
//   ctx.output.artifacts.
// - Fill ctx.output.run.benchmarks: one BenchmarkResult per benchmark with
//   `suite` (default: the gate name), `name`, optional `params`, and its
//   measures, each with a declared direction and raw samples (one per
//   repetition, all > 0 and finite; at least 5, preferably 10, for a
//   verdict). Do not fill run metadata (branch, commit, machine, times):
//   the skeleton does. A benchmark that could not run: status kError or
//   kSkipped with a message and no samples.
// - Correctness problems (a fuzz crash, accuracy below its floor, an invalid
//   receipt) go to ctx.output.correctness_failures, one line each naming
//   what and where: the gate then exits 4 and the run is stored with status
//   "failed" so it never becomes anyone's baseline.
// - SLO checks go to ctx.output.slos (value measured from the samples the
//   body recorded, target, pass/fail/skipped). A failed SLO is reported and
//   counts as a regression (exit 1): an SLO is a performance contract.
// - A/B mode: a body that measured a baseline build itself in the same job
//   puts that baseline's record in ctx.output.ab_baseline (benchmarks only,
//   like run). The skeleton stores it (branch "<--baseline-branch>@ab" at
//   --merge-base, else "<branch>@ab" at "ab-baseline": never in the
//   baseline branch's own history) and judges the candidate
//   against exactly that run instead of the store's merge-base choice.
// - Return a non-OK Status only for errors that leave no verdict (bad
//   option, unreadable input, a benchmark binary that cannot start): the
//   gate exits 2. Whatever the body returns, results.json, gate.json and
//   report.md are still written.
//
// The skeleton then fills the run's metadata and machine, writes
// <out>/results.json (baselines result JSON), stores the run and its
// outcome in the store (each write one transaction), compares with the
// baseline (merge base on --baseline-branch on this machine, else the
// latest, said so), saves the verdicts, writes <out>/report.md,
// <out>/report.json, <out>/junit.xml and <out>/gate.json (the outcome the
// pipeline reads: exit code, run ids, correctness failures, SLOs, notes,
// artifacts), and returns the exit code of docs/EXIT_CODES.md:
// 2 > 4 > 1 > 3 > 0. A first run with no baseline seeds it and passes
// (exit 0) unless --strict (exit 3).
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "baselines/run_record.h"
#include "baselines/verdict.h"
#include "kernels/base/status.h"
#include "reports/gate_outcome.h"

namespace bitgate::gates {

inline constexpr int kExitCorrectness = 4;

// The options every gate takes.
struct GateOptions {
  std::string gate;             // "throughput", ...
  std::string db;               // --db, default .bitgate/baselines.db
  std::string branch;           // --branch (default: git's current branch, else "local")
  std::string commit;           // --commit (default: git HEAD, else "unknown")
  std::string merge_base;       // --merge-base (default: the commit itself)
  bool same_commit_ok = false;  // --merge-base given and equal to the commit: BaselineRequest::same_commit_ok
  std::string baseline_branch;  // --baseline-branch, default main
  std::string out_dir;          // --out, default bitgate-out/<gate>
  std::string model;            // --model; empty: the cached synthetic model
  std::string preset;           // --preset tiny|small|2b (for the synthetic model)
  bool strict = false;          // --strict
  uint64_t seed = 1;            // --seed: the gate's own randomness (fuzzing, inputs)
  baselines::VerdictConfig verdict;  // --delta, --alpha, --seed (bootstrap)
  std::string command_line;     // argv joined, for the reproduce line
};

using SloResult = reports::SloResult;

struct GateOutput {
  // The body fills `benchmarks` (and may set `suite`); the skeleton fills
  // the rest.
  baselines::RunRecord run;
  std::vector<std::string> correctness_failures;  // -> exit 4
  std::vector<SloResult> slos;                    // a failed one -> exit 1
  std::vector<std::string> artifacts;             // paths under out_dir
  std::vector<std::string> notes;                 // shown in the report
  std::optional<baselines::RunRecord> ab_baseline;  // A/B mode, see above
  // Adaptive re-sampling (optional). Before the run is stored, the skeleton
  // judges it once; the benchmarks with a row worth more samples (a
  // REGRESSION or IMPROVEMENT, or INCONCLUSIVE for being under-powered,
  // noisy or bimodal) are passed here, and the body's callback measures
  // them again, appending samples to `run` (and to `ab_baseline` in A/B
  // mode). The verdicts are then made once, on all the samples. An error
  // is a note, not a failure: the first samples still stand.
  // `flagged` holds names only (suite, name, params; no samples).
  std::function<Status(const std::vector<baselines::BenchmarkResult>& flagged, GateOutput& out)> resample;
};

class GateContext {
 public:
  GateContext(const GateOptions& opts, const boost::program_options::variables_map& parsed)
      : options(opts), vm(parsed) {}
  const GateOptions& options;
  const boost::program_options::variables_map& vm;
  GateOutput output;

  // --model, or the synthetic model for --preset, created once and cached.
  Result<std::string> ModelPath();

 private:
  std::optional<std::string> model_path_;
};

using GateBody = std::function<Status(GateContext&)>;

// Parses the common options plus `extra`, runs `body`, and finishes as
// described above. Returns the process exit code.
// `default_delta` is the gate's --delta default: 5% suits timings on a
// shared CI machine; a gate whose figures are noisier by nature (the fuzz
// gate's exec rates) sets a wider one.
int RunGateMain(const char* gate, int argc, char** argv,
                const boost::program_options::options_description& extra, const GateBody& body,
                const char* default_delta = "5%");

// The default synthetic model's path for a preset: <dir of db>/models/
// <preset>-i2_s-seed1.gguf. Synthesized if missing (atomically, so two gates
// racing on it both end with a whole file).
Result<std::string> EnsureSyntheticModel(const std::string& db_path, const std::string& preset);

// Exit-code precedence of docs/EXIT_CODES.md: 2 > 4 > 1 > 3 > 0.
int MostSevereExit(int a, int b);

}  // namespace bitgate::gates
