// `bitgate compare`: judge a candidate run (stored, or a result file)
// against its baseline and print the ledger; the exit code is the verdict.
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "baselines/compare.h"
#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "reports/comparison_report.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
constexpr const char* kVerb = "compare";

const char kUsage[] =
    "usage: bitgate compare [--baseline-branch main] [--baseline-commit SHA | --baseline-run ID]\n"
    "                       (--candidate-run ID | --candidate-file FILE [--candidate-format bitgate|gbench])\n"
    "                       [--delta 3%] [--alpha 0.05] [--format markdown|json|junit] [--strict] [--db PATH]\n"
    "  Baseline: the runs of the baseline branch at the candidate's merge base on the same machine;\n"
    "  else the latest such runs (stated). Other machines are never compared (INCONCLUSIVE).\n"
    "  Exit: 0 pass, 1 regression, 2 usage or I/O error, 3 undecidable with --strict,\n"
    "  4 a candidate benchmark that reported an error.";

int Run(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("baseline-branch", po::value<std::string>()->default_value("main"), "branch the baseline comes from")
      ("baseline-commit", po::value<std::string>(), "compare with runs at this commit instead of the merge base (\"latest\": the newest)")
      ("baseline-run", po::value<long long>(), "compare with this stored run")
      ("candidate-run", po::value<long long>(), "stored run to judge")
      ("candidate-file", po::value<std::string>(), "result file to judge (not stored)")
      ("candidate-format", po::value<std::string>()->default_value("bitgate"), "format of --candidate-file: bitgate or gbench")
      ("suite", po::value<std::string>(), "suite of --candidate-file (gbench default: the executable's name)")
      ("counter", po::value<std::vector<std::string>>()->composing(), "gbench counter NAME=lower|higher (repeatable)")
      ("branch", po::value<std::string>(), "branch of --candidate-file")
      ("commit", po::value<std::string>(), "commit of --candidate-file")
      ("merge-base", po::value<std::string>(), "the candidate's merge base (overrides the file's)")
      ("delta", po::value<std::string>()->default_value("3%"), "practical threshold")
      ("alpha", po::value<double>()->default_value(0.05), "significance level on q-values")
      ("by", "Benjamini-Yekutieli instead of Benjamini-Hochberg")
      ("min-samples", po::value<int>()->default_value(5), "repetitions per side below which a row is INCONCLUSIVE")
      ("cv-ceiling", po::value<std::string>()->default_value("10%"), "robust CV above which a row is INCONCLUSIVE")
      ("bootstrap", po::value<int>()->default_value(1000), "bootstrap resamples (0: none)")
      ("seed", po::value<unsigned long long>()->default_value(20240601ULL), "bootstrap seed")
      ("keep-outliers", "test on every sample (default: drop |modified z| > 3.5)")
      ("format", po::value<std::string>()->default_value("markdown"), "markdown, json or junit")
      ("output", po::value<std::string>(), "write the report here instead of stdout")
      ("github-summary", "also append the markdown to $GITHUB_STEP_SUMMARY")
      ("strict", "exit 3 when no baseline, a machine mismatch or any INCONCLUSIVE row")
      ("no-record", "do not store the verdicts of a stored candidate run")
      ("store", "store --candidate-file as a run first (seeds baselines on the baseline branch; needs --branch and --commit or both in the file)")
      ("db", po::value<std::string>()->default_value(baselines::kDefaultDbPath), "baseline store")
      ("busy-timeout", po::value<int>()->default_value(5000), "milliseconds to wait for a locked store")
      ("help,h", "show this help");
  po::variables_map vm;
  po::store(ParseOptionsOnly(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << kUsage << "\n\n" << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  if (vm.count("candidate-run") == vm.count("candidate-file"))
    return Fail(kVerb, "give exactly one of --candidate-run ID and --candidate-file FILE");
  if (vm.count("baseline-commit") && vm.count("baseline-run"))
    return Fail(kVerb, "give at most one of --baseline-commit and --baseline-run");
  const std::string format = vm["format"].as<std::string>();
  if (format != "markdown" && format != "json" && format != "junit")
    return Fail(kVerb, "unknown --format '" + format + "' (markdown, json or junit)");

  baselines::VerdictConfig config;
  auto delta = ParseFraction(vm["delta"].as<std::string>(), "--delta");
  if (!delta.ok()) return Fail(kVerb, delta.status().message());
  config.delta = *delta;
  config.alpha = vm["alpha"].as<double>();
  if (!(config.alpha >= baselines::kMinAlpha && config.alpha < 1)) return Fail(kVerb, "--alpha must lie in [1e-9, 1)");
  auto ceiling = ParseFraction(vm["cv-ceiling"].as<std::string>(), "--cv-ceiling");
  if (!ceiling.ok()) return Fail(kVerb, ceiling.status().message());
  config.cv_ceiling = *ceiling;
  config.yekutieli = vm.count("by") > 0;
  config.min_samples = vm["min-samples"].as<int>();
  if (Status s = CheckMinSamples(config.min_samples); !s.ok()) return Fail(kVerb, s.message());
  config.bootstrap_resamples = vm["bootstrap"].as<int>();
  // Each resample costs a pass over both sides: a million is far beyond
  // what a percentile interval needs, and more ran for hours.
  if (config.bootstrap_resamples < 0 || config.bootstrap_resamples > 1000000)
    return Fail(kVerb, "--bootstrap must lie in [0, 1000000]");
  config.seed = vm["seed"].as<unsigned long long>();
  config.drop_outliers = vm.count("keep-outliers") == 0;

  // Every check of the arguments comes before the store is opened: with
  // --store a failed check would otherwise leave a new, empty store behind.
  if (vm.count("no-record") && !vm.count("candidate-run") && !vm.count("store"))
    return Fail(kVerb, "--no-record applies to a stored candidate (--candidate-run or --store)");
  baselines::RunRecord candidate;
  if (vm.count("candidate-run")) {
    // A stored run carries its own identity and is stored already.
    for (const char* o : {"branch", "commit", "suite", "store", "counter", "candidate-format"})
      if (vm.count(o) && !vm[o].defaulted())
        return Fail(kVerb, std::string("--") + o + " does not apply to --candidate-run (a stored run)");
  } else {
    LoadOptions load;
    load.format = vm["candidate-format"].as<std::string>();
    if (vm.count("suite")) load.suite = vm["suite"].as<std::string>();
    if (vm.count("counter")) load.counters = vm["counter"].as<std::vector<std::string>>();
    auto run = LoadRunFile(vm["candidate-file"].as<std::string>(), load);
    if (!run.ok()) return Fail(kVerb, run.status().message());
    candidate = std::move(*run);
    if (vm.count("branch")) candidate.branch = vm["branch"].as<std::string>();
    if (vm.count("commit")) candidate.commit = vm["commit"].as<std::string>();
    if (vm.count("store") && (candidate.branch.empty() || candidate.commit.empty()))
      return Fail(kVerb, "--store needs the candidate's --branch and --commit");
  }

  // Only --store writes a run; without it a missing store is an error, not
  // an empty one with no baseline (which would pass).
  auto store = OpenStore(vm["db"].as<std::string>(), vm["busy-timeout"].as<int>(),
                         /*create=*/vm.count("store") > 0);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  if (vm.count("candidate-run")) {
    auto run = (*store)->LoadRun(vm["candidate-run"].as<long long>());
    if (!run.ok()) return Fail(kVerb, run.status().message());
    candidate = std::move(*run);
  }
  if (vm.count("merge-base")) candidate.merge_base = vm["merge-base"].as<std::string>();


  baselines::BaselineRequest request;
  request.branch = vm["baseline-branch"].as<std::string>();
  if (vm.count("baseline-commit")) request.commit = vm["baseline-commit"].as<std::string>();
  if (vm.count("baseline-run")) request.run_id = vm["baseline-run"].as<long long>();
  request.same_commit_ok = vm.count("merge-base") > 0 && candidate.merge_base == candidate.commit;
  auto report = baselines::CompareWithBaseline(**store, candidate, request, config);
  if (!report.ok()) return Fail(kVerb, report.status().message());
  if (vm.count("store") && !candidate.id) {
    // Stored after the comparison, so it cannot be its own baseline; on the
    // baseline branch this seeds the store for the next runs.
    bool already = false;
    auto id = (*store)->ImportRun(candidate, &already);
    if (!id.ok()) return Fail(kVerb, id.status().message());
    candidate.id = *id;
    report->candidate.id = *id;
    std::fprintf(stderr, "bitgate compare: %s run %lld\n", already ? "the candidate was already stored as" :
                 "stored the candidate as", static_cast<long long>(*id));
  }
  if (candidate.id && !vm.count("no-record")) {
    Status s = (*store)->SaveVerdicts(candidate.id, report->baseline.run_ids, candidate, report->rows);
    if (!s.ok()) return Fail(kVerb, s.message());
  }

  std::string text = format == "json"    ? reports::ComparisonJson(*report)
                     : format == "junit" ? reports::ComparisonJunit(*report)
                                         : reports::ComparisonMarkdown(*report);
  if (vm.count("output")) {
    if (Status s = gates::WriteFileAtomically(vm["output"].as<std::string>(), text); !s.ok()) return Fail(kVerb, s.message());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  if (vm.count("github-summary")) {
    if (const char* path = std::getenv("GITHUB_STEP_SUMMARY")) {
      std::ofstream summary(path, std::ios::app);
      summary << reports::ComparisonMarkdown(*report);
      summary.close();  // a write error may show only when the buffer is flushed
      if (!summary) return Fail(kVerb, std::string("cannot append to ") + path);
    }
  }
  return baselines::ComparisonExitCode(*report, vm.count("strict") > 0);
}

}  // namespace

int RunCompare(int argc, char** argv) {
  return RunGuarded(kVerb, Run, argc, argv);
}

}  // namespace bitgate::cli
