#include "gates/cli/store_cli.h"

#include <boost/program_options.hpp>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "baselines/ingest_gbench.h"
#include "baselines/result_json.h"
#include "kernels/cpu.h"

namespace bitgate::cli {

Result<std::unique_ptr<baselines::Store>> OpenStore(const std::string& path, int busy_timeout_ms, bool create) {
  if (busy_timeout_ms < 0)
    return Status::Error("--busy-timeout " + std::to_string(busy_timeout_ms) + " must be >= 0 milliseconds");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (create && !parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Status::Error("cannot create directory " + parent.string() + ": " + ec.message());
  baselines::Store::Options options;
  options.create = create;
  options.busy_timeout_ms = busy_timeout_ms;
  return baselines::Store::Open(path, options);
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error("error reading " + path);
  return ss.str();
}

Status CheckMinSamples(int n) {
  if (n < 2 || n > 1000) return Status::Error("--min-samples " + std::to_string(n) + ": must lie in [2, 1000]");
  return Status::Ok();
}

baselines::MachineInfo LiveMachine() {
  baselines::MachineInfo m;
  const auto& cpu = kernels::GetCpuFeatures();
  m.cpu_model = cpu.model_name;
  m.isa_flags = kernels::CpuFingerprintFlags();  // a stable list: see cpu.h
  m.cores = cpu.logical_cores;
  utsname u{};
  // The kernel release is left out on purpose: a kernel update alone should
  // not orphan every stored baseline.
  if (uname(&u) == 0) m.os = std::string(u.sysname) + " " + u.machine;
  std::ifstream governor("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  std::string g;
  // Google Benchmark's rule: scaling is on unless the governor is "performance".
  m.frequency_scaling = governor && (governor >> g) && g != "performance";
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host_name = host;
  return m;
}

Result<double> ParseFraction(const std::string& text, const char* what) {
  std::string t = text;
  bool percent = false;
  if (!t.empty() && t.back() == '%') {
    percent = true;
    t.pop_back();
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || errno != 0)
    return Status::Error(std::string(what) + " '" + text + "' is not a number (e.g. 3% or 0.03)");
  if (percent) v /= 100.0;
  if (!(v > 0.0 && v < 1.0)) return Status::Error(std::string(what) + " '" + text + "' must lie between 0 and 1 (0% and 100%)");
  return v;
}

Result<baselines::RunRecord> LoadRunFile(const std::string& path, const LoadOptions& options) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  if (options.format == "bitgate") {
    auto run = baselines::ParseResultJson(*text, path);
    if (!run.ok()) return run.status();
    if (run->machine.cpu_model.empty()) {
      // A result without a machine section was measured here (the gates
      // always write one); record where.
      const std::string compiler = run->machine.compiler, build_type = run->machine.build_type;
      run->machine = LiveMachine();
      run->machine.compiler = compiler;
      run->machine.build_type = build_type;
    }
    if (!options.suite.empty()) {
      run->suite = options.suite;
      // Two benchmarks the file kept apart by suite become one under
      // --suite: refused here with the file named (the store had failed on
      // a bare UNIQUE constraint, and compare had shown duplicate rows).
      std::set<std::string> seen;
      for (auto& b : run->benchmarks) {
        b.suite = options.suite;
        if (!seen.insert(b.name + '\x1f' + b.params).second)
          return Status::Error(path + ": benchmark '" + b.DisplayName() + "' appears under two suites, which --suite " +
                               options.suite + " would merge");
      }
    }
    return run;
  }
  if (options.format == "gbench") {
    baselines::GbenchOptions g;
    g.suite = options.suite;
    g.live_machine = LiveMachine();
    for (const auto& spec : options.counters) {
      const auto eq = spec.find('=');
      const std::string name = spec.substr(0, eq), dir = eq == std::string::npos ? "" : spec.substr(eq + 1);
      if (dir != "lower" && dir != "higher")
        return Status::Error("--counter '" + spec + "': expected NAME=lower or NAME=higher");
      g.counter_directions[name] =
          dir == "lower" ? baselines::Direction::kLowerIsBetter : baselines::Direction::kHigherIsBetter;
    }
    baselines::IngestReport report;
    auto run = baselines::ParseGbenchJson(*text, path, g, &report);
    if (!run.ok()) return run.status();
    for (const auto& w : report.warnings) std::fprintf(stderr, "bitgate: warning: %s\n", w.c_str());
    return run;
  }
  return Status::Error("unknown format '" + options.format + "' (expected gbench or bitgate)");
}

int Fail(const char* verb, const std::string& message) {
  std::fprintf(stderr, "bitgate %s: error: %s\n", verb, message.c_str());
  return kExitError;
}

boost::program_options::parsed_options ParseOptionsOnly(int argc, char** argv,
                                                        const boost::program_options::options_description& desc) {
  const boost::program_options::positional_options_description none;
  return boost::program_options::command_line_parser(argc, argv).options(desc).positional(none).run();
}

int RunGuarded(const char* verb, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const boost::program_options::error& e) {
    return Fail(verb, std::string(e.what()) + " (see bitgate " + verb + " --help)");
  }
}

}  // namespace bitgate::cli
