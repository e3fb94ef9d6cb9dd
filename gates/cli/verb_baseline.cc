// `bitgate baseline import|list|show|prune|annotate|threshold`: the store's
// front end. Every sub-verb takes --db (default .bitgate/baselines.db).
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "baselines/result_json.h"
#include "baselines/stats.h"
#include "gates/cli/store_cli.h"
#include "reports/format.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
using baselines::Store;

constexpr const char* kVerb = "baseline";

void AddStoreOptions(po::options_description& desc) {
  desc.add_options()
      ("db", po::value<std::string>()->default_value(baselines::kDefaultDbPath), "baseline store (SQLite file)")
      ("busy-timeout", po::value<int>()->default_value(5000), "milliseconds to wait for a locked store")
      ("help,h", "show this help");
}

// Parses the sub-verb's arguments (argv[0] is the sub-verb). Returns false
// after printing help.
bool Parse(int argc, char** argv, const char* usage, po::options_description& desc,
           const po::positional_options_description& positional, po::variables_map& vm) {
  po::store(po::command_line_parser(argc, argv).options(desc).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n" << desc << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

// Only the sub-verbs that add data create a missing store.
Result<std::unique_ptr<Store>> Open(const po::variables_map& vm, bool create) {
  return OpenStore(vm["db"].as<std::string>(), vm["busy-timeout"].as<int>(), create);
}

int Import(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("file", po::value<std::string>()->required(), "result file to import")
      ("format", po::value<std::string>()->required(), "gbench (Google Benchmark JSON) or bitgate (bitgate result JSON)")
      ("branch", po::value<std::string>(), "branch the run belongs to (required unless in the file)")
      ("commit", po::value<std::string>(), "commit SHA measured (required unless in the file)")
      ("merge-base", po::value<std::string>(), "merge-base commit with the baseline branch")
      ("suite", po::value<std::string>(), "suite name (gbench default: the executable's name)")
      ("gate", po::value<std::string>(), "gate name recorded with the run")
      ("counter", po::value<std::vector<std::string>>()->composing(),
       "gbench user counter to import: NAME=lower|higher (repeatable)");
  AddStoreOptions(desc);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!Parse(argc, argv,
             "usage: bitgate baseline import --format gbench|bitgate FILE --branch B --commit SHA\n"
             "                               [--merge-base SHA] [--suite S] [--counter NAME=lower|higher] [--db PATH]\n"
             "  Stores every raw sample of the run in one transaction (all or nothing).",
             desc, pos, vm))
    return kExitPass;
  LoadOptions load;
  load.format = vm["format"].as<std::string>();
  if (vm.count("suite")) load.suite = vm["suite"].as<std::string>();
  if (vm.count("counter")) load.counters = vm["counter"].as<std::vector<std::string>>();
  auto run = LoadRunFile(vm["file"].as<std::string>(), load);
  if (!run.ok()) return Fail(kVerb, run.status().message());
  if (vm.count("branch")) run->branch = vm["branch"].as<std::string>();
  if (vm.count("commit")) run->commit = vm["commit"].as<std::string>();
  if (vm.count("merge-base")) run->merge_base = vm["merge-base"].as<std::string>();
  if (vm.count("gate")) run->gate = vm["gate"].as<std::string>();
  if (run->branch.empty()) return Fail(kVerb, "no branch: pass --branch");
  if (run->commit.empty()) return Fail(kVerb, "no commit: pass --commit");
  auto store = Open(vm, /*create=*/true);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  bool already = false;
  auto id = (*store)->ImportRun(*run, &already);
  if (!id.ok()) return Fail(kVerb, id.status().message());
  if (already) {
    std::printf("already stored as run %lld (same branch, commit, machine, times and samples): not stored again\n",
                static_cast<long long>(*id));
    return kExitPass;
  }
  std::printf("imported run %lld: %zu benchmarks, %zu samples (%s @ %s, suite %s, machine %s) into %s\n",
              static_cast<long long>(*id), run->benchmarks.size(), run->SampleCount(), run->branch.c_str(),
              run->commit.c_str(), run->suite.c_str(), run->machine.Fingerprint().c_str(),
              vm["db"].as<std::string>().c_str());
  return kExitPass;
}

int List(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("branch", po::value<std::string>(), "only runs of this branch")
      ("limit", po::value<int>()->default_value(50), "newest N runs");
  AddStoreOptions(desc);
  po::variables_map vm;
  if (!Parse(argc, argv, "usage: bitgate baseline list [--branch B] [--limit N] [--db PATH]", desc, {}, vm))
    return kExitPass;
  auto store = Open(vm, /*create=*/false);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  std::optional<std::string> branch;
  if (vm.count("branch")) branch = vm["branch"].as<std::string>();
  auto runs = (*store)->ListRuns(branch, vm["limit"].as<int>());
  if (!runs.ok()) return Fail(kVerb, runs.status().message());
  std::printf("%-6s %-16s %-12s %-12s %-12s %-16s %-8s %6s %8s  %s\n", "run", "branch", "commit", "merge-base",
              "suite", "machine", "status", "bench", "samples", "started");
  for (const auto& r : *runs)
    std::printf("%-6lld %-16s %-12.12s %-12.12s %-12s %-16s %-8s %6lld %8lld  %s\n", static_cast<long long>(r.id),
                r.branch.c_str(), r.commit.c_str(), r.merge_base.c_str(), r.suite.c_str(), r.fingerprint.c_str(),
                r.status.c_str(), static_cast<long long>(r.benchmarks), static_cast<long long>(r.samples),
                r.started_at.c_str());
  return kExitPass;
}

int Show(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("run", po::value<long long>()->required(), "run id (see `bitgate baseline list`)")
      ("format", po::value<std::string>()->default_value("text"), "text, or bitgate (the run as bitgate result JSON)");
  AddStoreOptions(desc);
  po::positional_options_description pos;
  pos.add("run", 1);
  po::variables_map vm;
  if (!Parse(argc, argv, "usage: bitgate baseline show RUN [--format text|bitgate] [--db PATH]", desc, pos, vm))
    return kExitPass;
  auto store = Open(vm, /*create=*/false);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  auto run = (*store)->LoadRun(vm["run"].as<long long>());
  if (!run.ok()) return Fail(kVerb, run.status().message());
  const std::string format = vm["format"].as<std::string>();
  if (format == "bitgate") {
    std::cout << baselines::WriteResultJson(*run);
    return kExitPass;
  }
  if (format != "text") return Fail(kVerb, "unknown --format '" + format + "' (text or bitgate)");
  const auto& m = run->machine;
  std::printf("run %lld: gate %s, suite %s, %s @ %s (merge base %s), %s, status %s\n",
              static_cast<long long>(run->id), run->gate.c_str(), run->suite.c_str(), run->branch.c_str(),
              run->commit.c_str(), run->merge_base.empty() ? "-" : run->merge_base.c_str(),
              run->started_at.c_str(), run->status.c_str());
  std::printf("machine %s: %s [%s], %d cores, %s, scaling %s, compiler '%s', build '%s', host %s\n",
              m.Fingerprint().c_str(), m.cpu_model.c_str(), m.isa_flags.c_str(), m.cores, m.os.c_str(),
              m.frequency_scaling ? "on" : "off", m.compiler.c_str(), m.build_type.c_str(), m.host_name.c_str());
  std::printf("\n%-40s %-20s %4s %14s %8s  %s\n", "benchmark", "measure", "n", "median", "CV", "status");
  for (const auto& b : run->benchmarks) {
    if (b.measures.empty())
      std::printf("%-40s %-20s %4d %14s %8s  %s %s\n", b.DisplayName().c_str(), "-", 0, "-", "-",
                  baselines::BenchmarkStatusName(b.status), b.message.c_str());
    for (const auto& ms : b.measures)
      std::printf("%-40s %-20s %4zu %14s %8s  %s\n", b.DisplayName().c_str(), ms.name.c_str(), ms.samples.size(),
                  reports::FormatValue(baselines::Median(ms.samples), ms.unit).c_str(),
                  reports::FormatPercent(baselines::Cv(ms.samples)).c_str(), baselines::BenchmarkStatusName(b.status));
  }
  return kExitPass;
}

int Prune(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("run", po::value<long long>(), "delete this run (with its samples and verdicts)")
      ("keep-last", po::value<int>(), "keep the newest N usable (not failed) runs of each branch, gate, suite and machine, and at most N "
       "failures newer than them; delete the rest")
      ("branch", po::value<std::string>(), "with --keep-last: only this branch")
      ("dry-run", "count what would be deleted");
  AddStoreOptions(desc);
  po::variables_map vm;
  if (!Parse(argc, argv, "usage: bitgate baseline prune (--run ID | --keep-last N [--branch B]) [--dry-run] [--db PATH]",
             desc, {}, vm))
    return kExitPass;
  baselines::PruneOptions options;
  if (vm.count("run")) options.run_id = vm["run"].as<long long>();
  if (vm.count("keep-last")) {
    options.keep_last = vm["keep-last"].as<int>();
    if (*options.keep_last < 0) return Fail(kVerb, "--keep-last must be >= 0");
  }
  if (vm.count("branch")) options.branch = vm["branch"].as<std::string>();
  options.dry_run = vm.count("dry-run") > 0;
  if (!options.run_id && !options.keep_last) return Fail(kVerb, "prune: give --run ID or --keep-last N");
  // One or the other: with both, --run was obeyed and --keep-last dropped.
  if (options.run_id && options.keep_last) return Fail(kVerb, "prune: --run and --keep-last cannot be combined");
  if (options.run_id && options.branch) return Fail(kVerb, "prune: --branch applies to --keep-last");
  auto store = Open(vm, /*create=*/false);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  auto n = (*store)->Prune(options);
  if (!n.ok()) return Fail(kVerb, n.status().message());
  if (options.run_id && *n == 0)  // as show and compare do for an id the store does not have
    return Fail(kVerb, "prune: no run " + std::to_string(*options.run_id) + " in " + vm["db"].as<std::string>());
  std::printf("%s %d run(s)\n", options.dry_run ? "would delete" : "deleted", *n);
  return kExitPass;
}

int Annotate(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("branch", po::value<std::string>(), "branch of the commit")
      ("commit", po::value<std::string>(), "commit whose change is accepted")
      ("benchmark", po::value<std::string>()->default_value("*"), "benchmarks concerned (glob)")
      ("message", po::value<std::string>(), "why the change is accepted")
      ("list", "list annotations instead");
  AddStoreOptions(desc);
  po::variables_map vm;
  if (!Parse(argc, argv,
             "usage: bitgate baseline annotate --branch B --commit SHA [--benchmark GLOB] --message TEXT [--db PATH]\n"
             "       bitgate baseline annotate --list [--branch B]\n"
             "  Accepts a change: regressions of the matching benchmarks at that commit no longer fail\n"
             "  `bitgate compare`, and `bitgate history` marks the commit.",
             desc, {}, vm))
    return kExitPass;
  // Arguments first: a usage error must not leave a new, empty store.
  if (vm.count("list")) {
    for (const char* o : {"commit", "message"})
      if (vm.count(o)) return Fail(kVerb, std::string("annotate: --") + o + " does not apply to --list");
  } else if (!vm.count("branch") || !vm.count("commit") || !vm.count("message")) {
    return Fail(kVerb, "annotate: --branch, --commit and --message are required");
  } else {
    for (const char* o : {"branch", "commit", "message"})
      if (vm[o].as<std::string>().empty()) return Fail(kVerb, std::string("annotate: --") + o + " is empty");
  }
  auto store = Open(vm, /*create=*/vm.count("list") == 0);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  if (vm.count("list")) {
    std::optional<std::string> branch;
    if (vm.count("branch")) branch = vm["branch"].as<std::string>();
    auto list = (*store)->Annotations(branch);
    if (!list.ok()) return Fail(kVerb, list.status().message());
    for (const auto& a : *list)
      std::printf("%lld  %s @ %s  %s  %s  (%s)\n", static_cast<long long>(a.id), a.branch.c_str(), a.commit.c_str(),
                  a.benchmark_glob.c_str(), a.message.c_str(), a.created_at.c_str());
    return kExitPass;
  }
  baselines::Annotation a;
  a.branch = vm["branch"].as<std::string>();
  a.commit = vm["commit"].as<std::string>();
  a.benchmark_glob = vm["benchmark"].as<std::string>();
  a.message = vm["message"].as<std::string>();
  auto id = (*store)->AddAnnotation(a);
  if (!id.ok()) return Fail(kVerb, id.status().message());
  std::printf("annotation %lld: %s @ %s (%s)\n", static_cast<long long>(*id), a.branch.c_str(), a.commit.c_str(),
              a.benchmark_glob.c_str());
  return kExitPass;
}

int ThresholdVerb(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("set", po::value<std::string>(), "benchmark glob to set an override for (matches suite/name or name)")
      ("remove", po::value<std::string>(), "benchmark glob whose override to remove")
      ("measure", po::value<std::string>()->default_value("*"), "measure glob")
      ("delta", po::value<std::string>(), "practical threshold, e.g. 5%")
      ("alpha", po::value<double>(), "significance level, e.g. 0.01");
  AddStoreOptions(desc);
  po::variables_map vm;
  if (!Parse(argc, argv,
             "usage: bitgate baseline threshold [--set GLOB [--measure GLOB] [--delta 5%] [--alpha 0.01]]\n"
             "                                  [--remove GLOB [--measure GLOB]] [--db PATH]\n"
             "  Without --set or --remove, lists the overrides (the last matching one wins).",
             desc, {}, vm))
    return kExitPass;
  // Arguments first: a usage error must not leave a new, empty store.
  if (vm.count("set") && vm.count("remove")) return Fail(kVerb, "--set and --remove cannot be combined");
  if (!vm.count("set") && (vm.count("delta") || vm.count("alpha")))
    return Fail(kVerb, "--delta and --alpha apply to --set");
  const std::string measure = vm["measure"].as<std::string>();
  baselines::Threshold t;
  if (vm.count("set")) {
    t.benchmark_glob = vm["set"].as<std::string>();
    t.measure_glob = measure;
    if (vm.count("delta")) {
      auto d = ParseFraction(vm["delta"].as<std::string>(), "--delta");
      if (!d.ok()) return Fail(kVerb, d.status().message());
      t.delta = *d;
    }
    if (vm.count("alpha")) t.alpha = vm["alpha"].as<double>();
    if (!t.delta && !t.alpha) return Fail(kVerb, "--set needs --delta and/or --alpha");
    if (Status s = baselines::CheckThreshold(t, "setting threshold for '" + t.benchmark_glob + "'"); !s.ok())
      return Fail(kVerb, s.message());
  }
  auto store = Open(vm, /*create=*/vm.count("set") > 0);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  if (vm.count("set")) {
    if (Status s = (*store)->SetThreshold(t); !s.ok()) return Fail(kVerb, s.message());
  } else if (vm.count("remove")) {
    auto n = (*store)->RemoveThreshold(vm["remove"].as<std::string>(), measure);
    if (!n.ok()) return Fail(kVerb, n.status().message());
    std::printf("removed %d override(s)\n", *n);
    return kExitPass;
  }
  auto list = (*store)->Thresholds();
  if (!list.ok()) return Fail(kVerb, list.status().message());
  for (const auto& row : *list)
    std::printf("%-30s %-12s delta %-8s alpha %s\n", row.benchmark_glob.c_str(), row.measure_glob.c_str(),
                row.delta ? reports::FormatPercent(*row.delta).c_str() : "-",
                row.alpha ? std::to_string(*row.alpha).c_str() : "-");
  return kExitPass;
}

struct SubVerb {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};
const SubVerb kSubVerbs[] = {
    {"import", "store a Google Benchmark or bitgate result file", Import},
    {"list", "list stored runs", List},
    {"show", "show one run (or export it as bitgate result JSON)", Show},
    {"prune", "delete runs", Prune},
    {"annotate", "accept a change (it no longer fails compare)", Annotate},
    {"threshold", "per-benchmark overrides of delta and alpha", ThresholdVerb},
};

void Usage(std::FILE* out) {
  std::fprintf(out, "usage: bitgate baseline <sub-verb> [options]   (bitgate baseline <sub-verb> --help)\n\n");
  for (const auto& s : kSubVerbs) std::fprintf(out, "  %-10s %s\n", s.name, s.summary);
}

}  // namespace

int RunBaseline(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    Usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitError : kExitPass;
  }
  for (const auto& s : kSubVerbs) {
    if (std::strcmp(s.name, argv[1]) != 0) continue;
    try {
      return s.run(argc - 1, argv + 1);
    } catch (const po::error& e) {
      return Fail(kVerb, std::string(s.name) + ": " + e.what() + " (see bitgate baseline " + s.name + " --help)");
    }
  }
  std::fprintf(stderr, "bitgate baseline: error: unknown sub-verb '%s'\n\n", argv[1]);
  Usage(stderr);
  return kExitError;
}

}  // namespace bitgate::cli
