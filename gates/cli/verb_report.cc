// `bitgate report`: re-renders a stored pipeline's ledger from the store
// alone (the pipeline record, the gates' runs, outcomes and baselines).
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "reports/format.h"
#include "reports/ledger.h"
#include "reports/pipeline_record.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
constexpr const char* kVerb = "report";

const char kUsage[] =
    "usage: bitgate report (--run ID | --branch B | --list) [--format md|json|junit] [--output FILE] [--db PATH]\n"
    "       bitgate report --cut LEDGER.md --max-bytes N [--full-ledger WHERE] [--output FILE]\n"
    "  Re-renders the ledger of a stored pipeline run (--run: its id, printed in every ledger;\n"
    "  --branch: the newest pipeline of that branch). Verdicts are recomputed from the stored samples.\n"
    "  --cut prints a ledger file within N bytes (a PR comment's limit): cut at a line end, the code\n"
    "  fence and <details> blocks it leaves open closed, and a note naming WHERE (default: the file).\n"
    "  Exit: the stored pipeline's exit code (--cut: 0), 2 on a usage or store error.";

int Run(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("run", po::value<long long>(), "pipeline id")
      ("branch", po::value<std::string>(), "the newest pipeline of this branch")
      ("list", "list the newest pipelines (all branches, or --branch)")
      ("format", po::value<std::string>()->default_value("md"), "md, json or junit")
      ("cut", po::value<std::string>(), "a ledger.md to print within --max-bytes")
      ("max-bytes", po::value<long long>(), "with --cut: the most bytes to print")
      ("full-ledger", po::value<std::string>(), "with --cut: where the note says the full ledger is")
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
  auto emit = [&](const std::string& text) {
    if (vm.count("output")) {
      if (Status s = gates::WriteFileAtomically(vm["output"].as<std::string>(), text); !s.ok())
        return Fail(kVerb, s.message());
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return kExitPass;
  };
  if (vm.count("cut") || vm.count("max-bytes") || vm.count("full-ledger")) {
    if (!vm.count("cut") || !vm.count("max-bytes"))
      return Fail(kVerb, "--cut FILE and --max-bytes N go together (--full-ledger only with them)");
    if (vm.count("run") || vm.count("branch") || vm.count("list") || !vm["format"].defaulted() ||
        !vm["db"].defaulted())
      return Fail(kVerb, "--cut prints a markdown ledger file: --run, --branch, --list, --format and --db do not apply");
    const long long max_bytes = vm["max-bytes"].as<long long>();
    if (max_bytes < 256) return Fail(kVerb, "--max-bytes must be at least 256 (room for the note)");
    const std::string file = vm["cut"].as<std::string>();
    auto md = ReadTextFile(file);
    if (!md.ok()) return Fail(kVerb, md.status().message());
    const std::string where = vm.count("full-ledger") ? vm["full-ledger"].as<std::string>() : file;
    const std::string cut = reports::CutLedgerText(*md, static_cast<size_t>(max_bytes),
                                                   "> the ledger is longer than " + std::to_string(max_bytes) +
                                                       " bytes: the full ledger is " + reports::MarkdownInline(where));
    if (cut.empty()) return Fail(kVerb, "--max-bytes " + std::to_string(max_bytes) + " leaves no room for the note");
    return emit(cut);
  }
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
  if (int code = emit(text); code != kExitPass) return code;
  return record->exit_code;
}

}  // namespace

int RunReport(int argc, char** argv) {
  return RunGuarded(kVerb, Run, argc, argv);
}

}  // namespace bitgate::cli
