// `bitgate report`: re-renders a stored pipeline's ledger from the store
// alone (the pipeline record, the gates' runs, outcomes and baselines).
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "reports/ledger.h"
#include "reports/pipeline_record.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
constexpr const char* kVerb = "report";

const char kUsage[] =
    "usage: bitgate report (--run ID | --branch B | --list) [--format md|json|junit] [--output FILE] [--db PATH]\n"
    "  Re-renders the ledger of a stored pipeline run (--run: its id, printed in every ledger;\n"
    "  --branch: the newest pipeline of that branch). Verdicts are recomputed from the stored samples.\n"
    "  Exit: the stored pipeline's exit code, 2 on a usage or store error.";

int Run(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("run", po::value<long long>(), "pipeline id")
      ("branch", po::value<std::string>(), "the newest pipeline of this branch")
      ("list", "list the newest pipelines (all branches, or --branch)")
      ("format", po::value<std::string>()->default_value("md"), "md, json or junit")
      ("output,o", po::value<std::string>(), "write here instead of stdout")
      ("db", po::value<std::string>()->default_value(baselines::kDefaultDbPath), "baseline store")
      ("help,h", "show this help");
  po::variables_map vm;
  po::store(ParseOptionsOnly(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << kUsage << "\n\n" << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  const std::string format = vm["format"].as<std::string>();
  if (format != "md" && format != "json" && format != "junit")
    return Fail(kVerb, "unknown --format '" + format + "' (md, json or junit)");
  if (!vm.count("list") && vm.count("run") == vm.count("branch"))
    return Fail(kVerb, "give exactly one of --run ID and --branch B (or --list)");
  auto store = OpenStore(vm["db"].as<std::string>(), 5000, /*create=*/false);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  if (vm.count("list")) {
    auto recent = reports::RecentPipelines(**store, vm.count("branch") ? vm["branch"].as<std::string>() : "", 20);
    if (!recent.ok()) return Fail(kVerb, recent.status().message());
    std::printf("%-6s %-20s %-12s %-26s %s\n", "id", "branch", "commit", "started", "state");
    for (const auto& r : *recent)
      std::printf("%-6lld %-20s %-12s %-26s %s\n", static_cast<long long>(r.id), r.branch.c_str(),
                  r.commit.substr(0, 12).c_str(), r.started_at.c_str(), reports::LedgerState(r.exit_code).c_str());
    return kExitPass;
  }
  int64_t id = 0;
  if (vm.count("run")) {
    id = vm["run"].as<long long>();
  } else {
    auto latest = reports::LatestPipelineId(**store, vm["branch"].as<std::string>());
    if (!latest.ok()) return Fail(kVerb, latest.status().message());
    if (!*latest) return Fail(kVerb, "no pipeline run on branch '" + vm["branch"].as<std::string>() + "' in " +
                                         vm["db"].as<std::string>());
    id = **latest;
  }
  auto record = reports::LoadPipelineRecord(**store, id);
  if (!record.ok()) return Fail(kVerb, record.status().message());
  const reports::Ledger ledger = reports::BuildLedger(store->get(), *record);
  const std::string text = format == "json"    ? reports::LedgerJson(ledger)
                           : format == "junit" ? reports::LedgerJunit(ledger)
                                               : reports::LedgerMarkdown(ledger);
  if (vm.count("output")) {
    if (Status s = gates::WriteFileAtomically(vm["output"].as<std::string>(), text); !s.ok()) return Fail(kVerb, s.message());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return record->exit_code;
}

}  // namespace

int RunReport(int argc, char** argv) {
  return RunGuarded(kVerb, Run, argc, argv);
}

}  // namespace bitgate::cli
