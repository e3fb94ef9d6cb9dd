// `bitgate history BENCHMARK`: one benchmark measure over the runs of a
// branch on one machine, with the change points and the commit of each step.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "baselines/history.h"
#include "gates/cli/store_cli.h"
#include "reports/history_report.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
constexpr const char* kVerb = "history";

int Run(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("benchmark", po::value<std::string>()->required(), "benchmark name, \"name [params]\" or suite/name")
      ("measure", po::value<std::string>()->default_value("real_time"), "measure name")
      ("unit", po::value<std::string>(), "display values in this unit (default: the measure's)")
      ("branch", po::value<std::string>()->default_value("main"), "branch")
      ("machine", po::value<std::string>(), "machine fingerprint (default: the one with most runs)")
      ("min-segment", po::value<int>()->default_value(3), "runs per level at least")
      ("penalty", po::value<double>()->default_value(1.0), "penalty scale (higher: fewer steps)")
      ("min-step", po::value<std::string>()->default_value("1%"), "smallest step reported")
      ("format", po::value<std::string>()->default_value("markdown"), "markdown or json")
      ("db", po::value<std::string>()->default_value(baselines::kDefaultDbPath), "baseline store")
      ("busy-timeout", po::value<int>()->default_value(5000), "milliseconds to wait for a locked store")
      ("help,h", "show this help");
  po::positional_options_description pos;
  pos.add("benchmark", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: bitgate history BENCHMARK [--measure M] [--branch main] [--format markdown|json] [--db PATH]\n"
                 "  BENCHMARK: NAME, NAME [PARAMS], SUITE/NAME or SUITE/NAME [PARAMS]; it must name one benchmark.\n"
                 "  Change points: penalised piecewise-constant fit of the per-run medians (L1, minimum\n"
                 "  segment length), naming the first commit of each new level.\n\n"
              << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  const std::string format = vm["format"].as<std::string>();
  if (format != "markdown" && format != "json") return Fail(kVerb, "unknown --format '" + format + "'");
  baselines::ChangePointOptions options;
  options.min_segment = vm["min-segment"].as<int>();
  options.penalty_scale = vm["penalty"].as<double>();
  if (options.min_segment < 1 || !(options.penalty_scale > 0))
    return Fail(kVerb, "--min-segment must be >= 1 and --penalty > 0");
  auto min_step = ParseFraction(vm["min-step"].as<std::string>(), "--min-step");
  if (!min_step.ok()) return Fail(kVerb, min_step.status().message());
  options.min_step = *min_step;
  auto store = OpenStore(vm["db"].as<std::string>(), vm["busy-timeout"].as<int>(), /*create=*/false);
  if (!store.ok()) return Fail(kVerb, store.status().message());
  std::optional<std::string> machine;
  if (vm.count("machine")) machine = vm["machine"].as<std::string>();
  auto history = baselines::BuildHistory(**store, vm["benchmark"].as<std::string>(), vm["measure"].as<std::string>(),
                                         vm["branch"].as<std::string>(), machine, options);
  if (!history.ok()) return Fail(kVerb, history.status().message());
  const std::string unit = vm.count("unit") ? vm["unit"].as<std::string>() : "";
  if (!unit.empty() && format == "json") return Fail(kVerb, "--unit applies to markdown (JSON keeps the stored unit)");
  if (Status s = reports::CheckHistoryUnit(history->unit, unit); !s.ok()) return Fail(kVerb, s.message());
  const std::string text = format == "json" ? reports::HistoryJson(*history) : reports::HistoryMarkdown(*history, unit);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitPass;
}

}  // namespace

int RunHistory(int argc, char** argv) {
  return RunGuarded(kVerb, Run, argc, argv);
}

}  // namespace bitgate::cli
