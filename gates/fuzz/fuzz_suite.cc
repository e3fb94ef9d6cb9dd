#include "gates/fuzz/fuzz_suite.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "gates/files.h"

namespace bitgate::gates::fuzz {
namespace {

namespace fs = std::filesystem;

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

baselines::BenchmarkResult ToBenchmark(const FuzzTargetReport& r) {
  baselines::BenchmarkResult b;
  b.suite = "fuzz";
  b.name = "fuzz/" + r.name;
  if (r.failure || !r.setup_error.empty()) {
    b.status = baselines::BenchmarkStatus::kError;
    b.message = r.failure ? r.failure->kind + ": " + r.failure->message : r.setup_error;
    return b;
  }
  std::vector<double> rates;
  for (double v : r.execs_per_second)
    if (std::isfinite(v) && v > 0) rates.push_back(v);
  if (rates.empty() && r.ExecsPerSecond() > 0) rates.push_back(r.ExecsPerSecond());
  if (!rates.empty())
    b.measures.push_back({"execs_per_second", "execs/s", baselines::Direction::kHigherIsBetter, rates});
  // The corpus size is one figure per run, and one sample per side can never
  // be judged (always INCONCLUSIVE, so --strict would always exit 3): it is
  // in the notes and summary.json, not a measure.
  if (b.measures.empty()) {
    b.status = baselines::BenchmarkStatus::kSkipped;
    b.message = "no executions";
  }
  return b;
}

Status WriteSummary(const FuzzSuiteOptions& options, const FuzzSuiteResult& result, const std::string& path) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& r : result.reports) {
    nlohmann::json t = {{"target", r.name},         {"execs", r.execs},
                        {"seconds", r.seconds},     {"execs_per_second", r.ExecsPerSecond()},
                        {"seeds", r.seeds},         {"corpus_size", r.corpus_size},
                        {"corpus_digest", Hex(r.corpus_digest)}, {"log", r.log_path}};
    if (r.failure)
      t["failure"] = {{"kind", r.failure->kind}, {"message", r.failure->message},
                      {"reproducer", r.failure->reproducer}, {"replay", r.failure->replay_command}};
    if (!r.setup_error.empty()) t["setup_error"] = r.setup_error;
    targets.push_back(t);
  }
  nlohmann::json doc = {{"seed", options.base.seed},
                        {"budget_seconds", options.total_budget_seconds},
                        {"runs", options.base.runs},
                        {"engine", options.libfuzzer_dir.empty() ? "in-process" : "libfuzzer"},
                        {"targets", targets}};
  return WriteFileAtomically(path, doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace

Result<std::vector<const FuzzTarget*>> SelectTargets(const std::vector<std::string>& names, bool planted_bugs) {
  std::vector<const FuzzTarget*> out;
  if (names.empty()) {
    for (const auto& t : AllTargets())
      if (!t.planted) out.push_back(&t);
    return out;
  }
  for (const auto& n : names) {
    const FuzzTarget* t = FindTarget(n);
    if (t == nullptr || (t->planted && !planted_bugs)) {
      std::string known;
      for (const auto& k : AllTargets())
        if (!k.planted || planted_bugs) known += (known.empty() ? "" : ", ") + k.name;
      return Status::Error("unknown fuzz target '" + n + "' (targets: " + known + ")");
    }
    // Once each: a repeated name would halve every budget and store one
    // benchmark twice (the store refuses that after the whole run).
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

FuzzSuiteResult RunFuzzSuite(const FuzzSuiteOptions& options, const std::vector<const FuzzTarget*>& targets) {
  FuzzSuiteResult result;
  FuzzOptions per = options.base;
  per.budget_seconds = targets.empty() ? 0 : options.total_budget_seconds / static_cast<double>(targets.size());
  for (const FuzzTarget* t : targets) {
    FuzzTargetReport r;
    if (options.libfuzzer_dir.empty()) {
      r = FuzzTargetInChild(*t, per);
    } else {
      const std::string bin = (fs::path(options.libfuzzer_dir) / ("bitgate-fuzz-" + t->name)).string();
      if (access(bin.c_str(), X_OK) != 0) {
        r.name = t->name;
        r.setup_error = "no libFuzzer binary " + bin + " (configure with -DBITGATE_FUZZ=ON and clang)";
      } else {
        r = RunLibFuzzerTarget(*t, per, bin);
      }
    }
    std::printf("fuzz %-12s %9lld execs in %5.1f s (%8.0f/s), corpus %lld%s\n", t->name.c_str(),
                static_cast<long long>(r.execs), r.seconds, r.ExecsPerSecond(),
                static_cast<long long>(r.corpus_size),
                r.failure ? (" -> " + r.failure->kind + ": " + r.failure->message).c_str()
                          : (r.setup_error.empty() ? "" : (" -> cannot run: " + r.setup_error).c_str()));
    std::fflush(stdout);
    if (r.failure) {
      std::string line = "fuzz/" + r.name + ": " + r.failure->kind + ": " + r.failure->message;
      if (!r.failure->reproducer.empty()) {
        line += "; reproducer " + r.failure->reproducer + "; replay: " + r.failure->replay_command;
        result.artifacts.push_back(r.failure->reproducer);
        result.artifacts.push_back(r.failure->reproducer + ".txt");
      }
      result.correctness_failures.push_back(line);
    }
    if (!r.setup_error.empty()) result.setup_errors.push_back("fuzz/" + r.name + ": " + r.setup_error);
    // --runs promises a corpus that depends on the seed alone; the budget
    // still stops a slow run first, and then it does not.
    if (per.runs > 0 && !r.failure && r.setup_error.empty() && r.execs < per.runs)
      result.notes.push_back("fuzz/" + r.name + ": the time budget stopped it after " + std::to_string(r.execs) +
                             " of --runs " + std::to_string(per.runs) +
                             " inputs, so its corpus is not the seed's alone (raise --budget-seconds)");
    result.benchmarks.push_back(ToBenchmark(r));
    result.reports.push_back(std::move(r));
  }
  const std::string summary = (fs::path(options.base.out_dir) / "fuzz" / "summary.json").string();
  std::error_code ec;
  fs::create_directories(fs::path(summary).parent_path(), ec);
  if (Status s = WriteSummary(options, result, summary); !s.ok()) {
    result.notes.push_back("fuzz/summary.json: " + s.message());
  } else {
    result.artifacts.push_back(summary);
  }
  result.notes.push_back("fuzz: seed " + std::to_string(options.base.seed) + ", " +
                         (options.libfuzzer_dir.empty() ? "in-process mutational engine" : "libFuzzer binaries") +
                         ", " + std::to_string(per.budget_seconds) + " s per target");
  return result;
}

// libFuzzer takes a 32-bit -seed and reads 0 as "pick one at random": the
// gate's seed folded into [1, 2^32 - 1], so every seed is reproducible
// (seeds equal modulo 2^32 - 1 share a libFuzzer run).
uint32_t LibFuzzerSeed(uint64_t seed) { return static_cast<uint32_t>(seed % 0xFFFFFFFFull) + 1; }

FuzzTargetReport RunLibFuzzerTarget(const FuzzTarget& target, const FuzzOptions& options,
                                    const std::string& binary) {
  FuzzTargetReport report;
  report.name = target.name;
  const fs::path dir = fs::absolute(fs::path(options.out_dir) / "fuzz" / "libfuzzer" / target.name);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir / "seeds", ec);
  fs::create_directories(dir / "corpus", ec);
  std::vector<Bytes> seeds;
  if (Status s = target.seeds(&seeds); !s.ok()) {
    report.setup_error = s.message();
    return report;
  }
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream((dir / "seeds" / ("seed-" + std::to_string(i))).string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(seeds[i].data()), static_cast<std::streamsize>(seeds[i].size()));
  }
  report.seeds = static_cast<int64_t>(seeds.size());
  report.log_path = (dir / "libfuzzer.log").string();
  const int budget = std::max(1, static_cast<int>(std::lround(options.budget_seconds)));
  std::vector<std::string> args = {binary,
                                   "-max_total_time=" + std::to_string(budget),
                                   "-seed=" + std::to_string(LibFuzzerSeed(options.seed)),
                                   // whole seconds, rounded up: a truncated 2.9 s let 2-2.9 s inputs
                                   // count as hangs that the replay (2.9 s) then passed
                                   "-timeout=" + std::to_string(std::max(1, static_cast<int>(std::ceil(options.input_timeout_seconds)))),
                                   "-max_len=" + std::to_string(target.max_input_bytes),
                                   "-print_final_stats=1",
                                   "-artifact_prefix=" + (dir / "").string(),
                                   (dir / "corpus").string(),
                                   (dir / "seeds").string()};
  if (options.runs > 0) args.insert(args.begin() + 1, "-runs=" + std::to_string(options.runs));
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    std::FILE* log = std::freopen(report.log_path.c_str(), "w", stderr);
    if (log) dup2(fileno(stderr), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  if (pid < 0) {
    report.setup_error = std::string("fork failed: ") + std::strerror(errno);
    return report;
  }
  // libFuzzer stops itself at -max_total_time; a minute beyond it, it is
  // hung (a -timeout it did not honour) and is killed.
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(budget + 60);
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      report.setup_error = std::string("waitpid failed: ") + std::strerror(errno);
      return report;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      report.setup_error = "libFuzzer ran a minute past its -max_total_time and was killed";
      return report;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(report.log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  // libFuzzer's periodic lines ("pulse" at powers of two, "DONE" at the
  // end) sample the rate; the many "NEW" lines would swamp them.
  const std::regex rate(R"((?:pulse|DONE) .*exec/s: (\d+))"), units(R"(stat::number_of_executed_units: (\d+))"),
      secs(R"(Done (\d+) runs in (\d+) second)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), rate); it != std::sregex_iterator(); ++it) {
    const double v = std::stod((*it)[1]);
    if (v > 0) report.execs_per_second.push_back(v);
  }
  std::smatch m;
  if (std::regex_search(log, m, units)) report.execs = std::stoll(m[1]);
  report.seconds = std::regex_search(log, m, secs) ? std::max(1.0, std::stod(m[2])) : budget;
  for (const auto& e : fs::directory_iterator(dir / "corpus", ec)) {
    (void)e;
    ++report.corpus_size;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return report;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    report.setup_error = "cannot execute " + binary;
    return report;
  }
  FuzzFailure failure;
  failure.kind = "crash";
  failure.message = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "libFuzzer exited with status " + std::to_string(WEXITSTATUS(status));
  // The first marker in the log names the failure: a failed invariant
  // prints its line and aborts, and libFuzzer's "deadly signal" report of
  // that abort comes after it.
  size_t first = std::string::npos;
  for (const char* marker : {"ERROR: AddressSanitizer", "runtime error:", "ERROR: libFuzzer", "invariant failed:"}) {
    const size_t at = log.find(marker);
    if (at == std::string::npos || at >= first) continue;
    first = at;
    failure.kind = std::string(marker) == "invariant failed:" ? "invariant" : "sanitizer";
    failure.message = log.substr(at, log.find('\n', at) - at);
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    for (const char* prefix : {"crash-", "timeout-", "oom-", "leak-"}) {
      if (name.rfind(prefix, 0) != 0) continue;
      if (std::string(prefix) == "timeout-") failure.kind = "hang";
      std::ifstream art(e.path(), std::ios::binary);
      const Bytes input((std::istreambuf_iterator<char>(art)), std::istreambuf_iterator<char>());
      failure.reproducer = SaveReproducer(options, target, input, failure, log.substr(log.size() > 4096 ? log.size() - 4096 : 0));
      failure.replay_command = ReplayCommand(options, target, failure.reproducer) + "   (or: " + binary + " " +
                               failure.reproducer + ")";
    }
  }
  report.failure = failure;
  return report;
}

}  // namespace bitgate::gates::fuzz
