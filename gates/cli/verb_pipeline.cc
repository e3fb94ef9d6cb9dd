// `bitgate pipeline`: runs the gate executables as child processes (each
// under a timeout; a crash, hang or missing gate is recorded and the
// pipeline goes on), keeps a timestamped hop log, stores the pipeline
// record, and writes the ledger (ledger.md, results.json, junit.xml) from
// the store. The exit code is the most severe of the gates' (2>4>1>3>0).
#include <unistd.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "baselines/store.h"
#include "engine/receipt.h"
#include "gates/cli/store_cli.h"
#include "gates/files.h"
#include "gates/subprocess.h"
#include "kernels/base/json.h"
#include "reports/format.h"
#include "reports/ledger.h"
#include "reports/pipeline_record.h"

namespace bitgate::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using reports::GateStatus;
constexpr const char* kVerb = "pipeline";

const char kUsage[] =
    "usage: bitgate pipeline --branch B --commit SHA [--baseline-branch main] [--merge-base SHA]\n"
    "                        [--gates fuzz,accuracy,throughput] [--db PATH] [--out DIR] [--strict]\n"
    "                        [--timeout-per-gate S] [--baseline-build DIR] [--preset tiny|small|2b | --model F]\n"
    "  Runs each gate (bitgate-<gate>) as a child process, then writes DIR/ledger.md, DIR/results.json and\n"
    "  DIR/junit.xml from the store (and appends the ledger to $GITHUB_STEP_SUMMARY when set).\n"
    "  --baseline-build DIR: A/B mode, the throughput gate measures that build interleaved with this one.\n"
    "  Exit: the most severe of the gates' codes: 2 error/crash/missing > 4 correctness > 1 regression >\n"
    "  3 undecided (--strict) > 0 pass.";

std::vector<std::string> SplitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

// One gate's --gate-args, split like a shell would: quotes group words,
// a backslash escapes a quote, a space or itself.
Result<std::vector<std::string>> SplitGateArgs(const std::string& gate, const std::string& args) {
  // split_unix runs an unmatched quote to the end of the text ("'a b" is
  // one word "a b"); a shell refuses it, and so do we. Its quotes, ' and ",
  // toggle alike, so an odd count of unescaped ones is unmatched.
  int quotes = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == '\\') ++i;
    else if (args[i] == '\'' || args[i] == '"') ++quotes;
  }
  if (quotes % 2 != 0) return Status::Error("--gate-args " + gate + "='" + args + "': unmatched quote");
  try {
    return po::split_unix(args);
  } catch (const std::exception& e) {  // boost::escaped_list_error: "unknown escape sequence", ...
    return Status::Error("--gate-args " + gate + "='" + args + "': " + e.what() +
                         " (quote with '...' or \"...\", and write a backslash as \\\\)");
  }
}

// The last lines of a gate's console output, as valid UTF-8: FileTail cuts
// at a byte count, possibly inside a character, and a gate may print any
// bytes. Replaced here, so the ledger the pipeline writes and a re-render
// from the stored record (whose JSON would replace them) are the same.
std::string ConsoleTail(const std::string& path, int max_lines) {
  std::string tail = gates::FileTail(path, max_lines);
  size_t cut = 0;  // continuation bytes of a character cut off in front
  while (cut < 3 && cut < tail.size() && (static_cast<unsigned char>(tail[cut]) & 0xC0) == 0x80) ++cut;
  return reports::ValidUtf8(tail.substr(cut));
}

// SIGINT, SIGTERM or SIGHUP (a cancelled CI job): the running gate's group
// is stopped, no further gate starts, and the record and ledger are still
// written (exit 2).
volatile std::sig_atomic_t g_cancel_signal = 0;
volatile std::sig_atomic_t g_gate_group = 0;  // the running gate's process group, 0 when none
extern "C" void OnCancelSignal(int sig) {
  if (g_cancel_signal != 0) {  // a second signal: stop at once, the gate's group first
    if (g_gate_group > 0) kill(-static_cast<pid_t>(g_gate_group), SIGKILL);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  g_cancel_signal = sig;
}

void CatchCancelSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnCancelSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

// NAME=VALUE options (--gate-exe, --gate-args) for gates of `gates`. With
// `join`, a gate's repeated values are joined by spaces (more arguments);
// without, a repeat is an error (two executables for one gate). A gate
// that `gates` does not run is an error: a typo would be ignored.
Result<std::map<std::string, std::string>> ParsePairs(const po::variables_map& vm, const char* key,
                                                      const std::vector<std::string>& gates, bool join) {
  std::map<std::string, std::string> out;
  if (!vm.count(key)) return out;
  for (const auto& spec : vm[key].as<std::vector<std::string>>()) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::Error(std::string("--") + key + " '" + spec + "': expected GATE=VALUE");
    const std::string gate = spec.substr(0, eq);
    if (std::find(gates.begin(), gates.end(), gate) == gates.end())
      return Status::Error(std::string("--") + key + " '" + spec + "': --gates does not run a gate '" + gate + "'");
    const bool seen = out.count(gate) > 0;
    if (seen && !join) return Status::Error(std::string("--") + key + " given twice for gate '" + gate + "'");
    std::string& value = out[gate];
    if (seen) value.push_back(' ');
    value.append(spec, eq + 1, std::string::npos);
  }
  return out;
}

std::string FindGateExe(const std::string& gate, const std::string& gate_dir) {
  const std::string name = "bitgate-" + gate;
  std::vector<fs::path> candidates;
  if (!gate_dir.empty()) candidates.push_back(fs::path(gate_dir) / name);
  const std::string self = gates::SelfDir();
  if (!self.empty()) {
    candidates.push_back(fs::path(self) / name);
    candidates.push_back(fs::path(self) / gate / name);  // the build tree: gates/<gate>/bitgate-<gate>
  }
  for (const auto& p : candidates)
    if (access(p.c_str(), X_OK) == 0) return p.string();
  if (const char* path = std::getenv("PATH"))
    for (const auto& dir : SplitList(path, ':'))
      if (access((fs::path(dir) / name).c_str(), X_OK) == 0) return (fs::path(dir) / name).string();
  return "";
}

std::string GitLine(const char* cmd) {
  std::FILE* p = popen(cmd, "r");
  if (!p) return "";
  char buf[256] = {};
  std::string s = std::fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string Quote(const std::string& a) { return reports::ShellWord(a); }

std::string Join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    if (!s.empty()) s.push_back(' ');
    s.append(Quote(a));
  }
  return s;
}

// Typical seconds per gate from earlier pipelines in this store (for the
// ETA); empty when unknown.
std::map<std::string, double> PastDurations(baselines::Store* store) {
  std::map<std::string, double> out;
  if (!store) return out;
  auto recent = reports::RecentPipelines(*store, "", 5);
  if (!recent.ok()) return out;
  for (const auto& r : *recent)
    for (const auto& g : r.gates)
      if (!out.count(g.gate) && g.status != GateStatus::kMissing) out[g.gate] = g.seconds;
  return out;
}

// Re-checks every receipt a gate wrote (model digest re-hashed, token
// digest and counts, tokens/s = tokens / time, kernels on paths this CPU
// has). A receipt that fails turns the gate's result into a correctness
// failure (exit 4): its throughput figures are not to be trusted.
void VerifyReceipts(const std::vector<std::string>& artifacts, reports::PipelineGate* pg) {
  for (const auto& path : artifacts) {
    const std::string name = fs::path(path).filename().string();
    if (name.rfind("receipt", 0) != 0 || fs::path(path).extension() != ".json") continue;
    std::string failure;
    auto text = ReadTextFile(path);
    auto j = text.ok() ? ParseJson(*text, "receipt") : Result<nlohmann::json>(text.status());
    if (!j.ok()) {
      failure = j.status().message();
    } else {
      auto report = engine::VerifyReceipt(*j, engine::VerifyOptions{});
      if (!report.ok()) failure = report.status().message();
      else if (!report->ok()) failure = report->failures.front();
    }
    if (failure.empty()) {
      ++pg->receipts_verified;
    } else {
      pg->receipt_failures.push_back(path + ": " + failure);
    }
  }
  if (!pg->receipt_failures.empty() &&
      (pg->status == GateStatus::kPass || pg->status == GateStatus::kRegression || pg->status == GateStatus::kUndecided))
    pg->status = GateStatus::kCorrectness;
}

int Run(int argc, char** argv) {
  po::options_description desc("options");
  desc.add_options()
      ("branch", po::value<std::string>(), "branch under test (default: git's current branch)")
      ("commit", po::value<std::string>(), "commit under test (default: git HEAD)")
      ("baseline-branch", po::value<std::string>()->default_value("main"), "branch baselines come from")
      ("merge-base", po::value<std::string>(), "merge base with the baseline branch (default: git merge-base HEAD BASELINE-BRANCH when --commit is not given, else the commit)")
      ("gates", po::value<std::string>()->default_value("fuzz,accuracy,throughput"), "comma-separated gates to run, in order")
      ("db", po::value<std::string>()->default_value(baselines::kDefaultDbPath), "baseline store")
      ("out", po::value<std::string>()->default_value("bitgate-out"), "output directory (each gate writes under out/<gate>)")
      ("strict", "pass --strict to every gate (no baseline, machine mismatch or INCONCLUSIVE -> exit 3)")
      ("timeout-per-gate", po::value<double>()->default_value(900), "seconds before a gate is killed and recorded as timed out")
      ("baseline-build", po::value<std::string>(), "A/B mode: the baseline's build directory, for the throughput gate")
      ("model", po::value<std::string>(), "model for every gate (default: the gates' cached synthetic model)")
      ("preset", po::value<std::string>(), "synthetic model preset for every gate: tiny, small or 2b")
      ("gate-dir", po::value<std::string>(), "directory holding bitgate-<gate> executables")
      ("gate-exe", po::value<std::vector<std::string>>()->composing(), "GATE=PATH: the executable for one gate (repeatable)")
      ("gate-args", po::value<std::vector<std::string>>()->composing(), "GATE='ARGS': extra arguments for one gate, split like a shell (quotes and backslashes; repeatable)")
      ("help,h", "show this help");
  po::variables_map vm;
  po::store(ParseOptionsOnly(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << kUsage << "\n\n" << desc << "\n";
    return kExitPass;
  }
  po::notify(vm);
  // This run's ledger replaces the last one's from the start: a usage error
  // or a failed write (exit 2) must not leave an old PASS ledger.md or
  // junit.xml for a CI glob to report.
  for (const char* stale : {"ledger.md", "results.json", "junit.xml"}) {
    const fs::path file = fs::path(vm["out"].as<std::string>()) / stale;
    std::error_code ignored;
    if (!fs::is_directory(file, ignored)) fs::remove(file, ignored);  // only a file of ours
  }

  reports::PipelineRecord rec;
  rec.started_at = reports::NowUtcMillis();
  rec.branch = vm.count("branch") ? vm["branch"].as<std::string>() : GitLine("git rev-parse --abbrev-ref HEAD 2>/dev/null");
  if (rec.branch.empty() || rec.branch == "HEAD") rec.branch = "local";
  rec.commit = vm.count("commit") ? vm["commit"].as<std::string>() : GitLine("git rev-parse HEAD 2>/dev/null");
  if (rec.commit.empty()) rec.commit = "unknown";
  rec.baseline_branch = vm["baseline-branch"].as<std::string>();
  if (vm.count("merge-base")) {
    rec.merge_base = vm["merge-base"].as<std::string>();
  } else {
    const std::string cmd = "git merge-base HEAD " + Quote(rec.baseline_branch) + " 2>/dev/null";
    rec.merge_base = vm.count("commit") ? "" : GitLine(cmd.c_str());
    if (rec.merge_base.empty()) rec.merge_base = rec.commit;
  }
  rec.strict = vm.count("strict") > 0;
  rec.ab = vm.count("baseline-build") > 0;
  {
    std::vector<std::string> args = {"bitgate"};
    for (int i = 0; i < argc; ++i) args.push_back(argv[i]);
    rec.command = Join(args);
  }
  const std::vector<std::string> gate_names = SplitList(vm["gates"].as<std::string>(), ',');
  if (gate_names.empty()) return Fail(kVerb, "--gates is empty");
  // A gate's name is a directory under --out and part of a file name: a
  // path ('/', '..') would reach files outside it.
  for (const auto& g : gate_names)
    if (g.empty() || g.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                         std::string::npos)
      return Fail(kVerb, "--gates: '" + g + "' is not a gate name (letters, digits, '_' and '-')");
  if (vm.count("model") && vm.count("preset"))
    return Fail(kVerb, "--model and --preset both choose the model: give one");
  if (rec.ab && std::find(gate_names.begin(), gate_names.end(), "throughput") == gate_names.end())
    return Fail(kVerb, "--baseline-build is for the throughput gate, which --gates does not run");
  auto exes = ParsePairs(vm, "gate-exe", gate_names, /*join=*/false);
  if (!exes.ok()) return Fail(kVerb, exes.status().message());
  auto extra = ParsePairs(vm, "gate-args", gate_names, /*join=*/true);
  if (!extra.ok()) return Fail(kVerb, extra.status().message());
  std::map<std::string, std::vector<std::string>> gate_args;
  for (const auto& [gate, args] : *extra) {
    auto split = SplitGateArgs(gate, args);
    if (!split.ok()) return Fail(kVerb, split.status().message());
    gate_args[gate] = std::move(*split);
  }
  const double timeout = vm["timeout-per-gate"].as<double>();
  if (!(timeout > 0 && timeout <= 7 * 86400)) return Fail(kVerb, "--timeout-per-gate must lie in (0, 604800] seconds");
  const fs::path out_dir = vm["out"].as<std::string>();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Fail(kVerb, "cannot create --out " + out_dir.string() + ": " + ec.message());
  const std::string db = vm["db"].as<std::string>();
  rec.db = db;

  // The store is opened now only for ETAs; a store that cannot be opened
  // is reported after the gates (which open it themselves and say why).
  auto early = OpenStore(db, 5000, /*create=*/true);
  const auto past = PastDurations(early.ok() ? early->get() : nullptr);
  if (early.ok()) early->reset();

  const bool tty = isatty(STDERR_FILENO) != 0;
  auto hop = [&](const std::string& event) {
    rec.hops.push_back({reports::NowUtcMillis(), event});
    if (!tty) std::fprintf(stderr, "bitgate pipeline: %s %s\n", rec.hops.back().at.c_str(), event.c_str());
  };
  hop("pipeline start: " + rec.branch + " @ " + rec.commit + " vs " + rec.baseline_branch + " @ " + rec.merge_base +
      ", gates " + vm["gates"].as<std::string>());

  // Every gate's executable is found before any runs, so a gate with none
  // (a typo in --gates, a gate not built) is said at once, not after the
  // others have run for minutes; it is still recorded missing (exit 2).
  std::map<std::string, std::string> exe_of;
  for (const auto& gate : gate_names) {
    exe_of[gate] = exes->count(gate) ? exes->at(gate)
                                     : FindGateExe(gate, vm.count("gate-dir") ? vm["gate-dir"].as<std::string>() : "");
    if (exe_of[gate].empty())
      std::fprintf(stderr,
                   "bitgate pipeline: warning: gate '%s' has no executable (bitgate-%s); it will be recorded "
                   "missing and the pipeline will exit 2 (the built-in gates are fuzz, accuracy, throughput)\n",
                   gate.c_str(), gate.c_str());
  }

  // No gate's previous outcome is read, and no stale report is left for a
  // CI glob (**/junit.xml) to pick up: every listed gate's files go before
  // the first one starts, also for gates that will be missing or cancelled.
  for (const auto& gate : gate_names)
    for (const char* stale : {"gate.json", "results.json", "report.md", "report.json", "junit.xml"})
      fs::remove(out_dir / gate / stale, ec);
  CatchCancelSignals();
  for (size_t i = 0; i < gate_names.size(); ++i) {
    const std::string& gate = gate_names[i];
    if (g_cancel_signal != 0) {
      hop("cancelled by signal " + std::to_string(g_cancel_signal) + ": gate " + gate + " and later ones not started");
      break;
    }
    reports::PipelineGate pg;
    pg.gate = gate;
    pg.out_dir = (out_dir / gate).string();
    pg.executable = exe_of.at(gate);
    if (pg.executable.empty()) {
      pg.status = GateStatus::kMissing;
      pg.process = "not found: no bitgate-" + gate + " next to bitgate, under " + gate + "/, in --gate-dir or on PATH";
      hop(gate + ": missing (" + pg.process + ")");
      rec.gates.push_back(std::move(pg));
      continue;
    }
    fs::create_directories(pg.out_dir, ec);
    std::vector<std::string> args = {pg.executable, "--db", db, "--branch", rec.branch, "--commit", rec.commit,
                                     "--baseline-branch", rec.baseline_branch, "--out", pg.out_dir};
    // A merge base git derived as the commit itself (a run on the baseline
    // branch) is left to the gate's default, so the gate never takes the
    // commit's own earlier runs for its baseline; one given on the command
    // line is passed on as given (ci/demo's same-build check).
    if (vm.count("merge-base") || rec.merge_base != rec.commit)
      args.insert(args.end(), {"--merge-base", rec.merge_base});
    if (rec.strict) args.push_back("--strict");
    if (vm.count("model")) args.insert(args.end(), {"--model", vm["model"].as<std::string>()});
    if (vm.count("preset")) args.insert(args.end(), {"--preset", vm["preset"].as<std::string>()});
    if (gate == "throughput" && rec.ab) args.insert(args.end(), {"--baseline-build", vm["baseline-build"].as<std::string>()});
    if (gate_args.count(gate)) args.insert(args.end(), gate_args.at(gate).begin(), gate_args.at(gate).end());
    hop("start " + gate + ": " + Join(args));
    gates::ProcessOptions p;
    p.argv = args;
    p.new_process_group = true;  // a timeout kills the gate and every process it started
    p.timeout_seconds = timeout;
    p.cancel = &g_cancel_signal;
    p.on_start = [](int pid) { g_gate_group = pid; };
    p.output_file = (fs::path(pg.out_dir) / "console.log").string();
    const double expected = past.count(gate) ? past.at(gate) : 0;
    if (tty) {
      const std::string log = p.output_file;
      p.on_tick = [&, i, log](double t) {
        char eta[48] = "ETA unknown";
        if (expected > 0) std::snprintf(eta, sizeof eta, "ETA ~%.0f s", std::max(0.0, expected - t));
        // The gate's latest console line says what it is doing now.
        std::string now = gates::FileTail(log, 1, 512);
        if (now.size() > 60) now = now.substr(0, 57) + "...";
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %s  %.0f s  %s  %s", i + 1, gate_names.size(), gate.c_str(), t, eta,
                     now.c_str());
      };
    }
    auto r = gates::RunProcess(p);
    g_gate_group = 0;
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (!r.ok()) {
      pg.status = GateStatus::kError;
      pg.process = r.status().message();
    } else {
      pg.status = r->started ? reports::GateStatusOf(r->signal ? -1 : r->exit_code, r->signal, r->timed_out)
                             : GateStatus::kMissing;
      if (r->cancelled) pg.status = GateStatus::kError;  // stopped: no verdict
      pg.process = r->Describe();
      pg.seconds = r->seconds;
    }
    pg.output_tail = ConsoleTail(p.output_file, 15);
    // A gate that reached a verdict (pass, regression, undecided) stands on
    // its outcome: without one, nothing says what it stored or which
    // receipts back it, so the verdict becomes an error (a gate executable
    // such as /bin/true must not pass the pipeline).
    const bool verdict = pg.status == GateStatus::kPass || pg.status == GateStatus::kRegression ||
                         pg.status == GateStatus::kUndecided;
    auto outcome = [&]() -> Result<reports::GateOutcome> {
      auto text = ReadTextFile((fs::path(pg.out_dir) / "gate.json").string());
      if (!text.ok()) return text.status();
      return reports::ParseGateOutcome(*text, pg.out_dir + "/gate.json");
    }();
    if (outcome.ok()) {
      pg.run_id = outcome->run_id;
      VerifyReceipts(outcome->artifacts, &pg);
    } else if (pg.status != GateStatus::kMissing) {
      hop(gate + ": outcome not read: " + outcome.status().message());
      if (verdict) pg.status = GateStatus::kError;
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f s", pg.seconds);
    if (pg.receipts_verified || !pg.receipt_failures.empty())
      hop(gate + ": receipts re-verified: " + std::to_string(pg.receipts_verified) + " ok, " +
          std::to_string(pg.receipt_failures.size()) + " failed");
    hop(gate + ": " + pg.process + " in " + secs + " -> " + reports::GateStatusName(pg.status));
    if (tty)
      std::fprintf(stderr, "[%zu/%zu] %s: %s (%s)\n", i + 1, gate_names.size(), gate.c_str(),
                   reports::GateStatusName(pg.status), secs);
    rec.gates.push_back(std::move(pg));
  }
  rec.exit_code = reports::PipelineExitCode(rec.gates);
  if (g_cancel_signal != 0) rec.exit_code = kExitError;  // cancelled: no verdict for the gates not run

  // The record and the ledger: an error (or an exception from a writer)
  // is exit 2 and said so, and every file that can still be written is.
  auto failed = [&](const std::string& message) {
    std::fprintf(stderr, "bitgate pipeline: error: %s\n", message.c_str());
    rec.exit_code = kExitError;
  };
  auto store = OpenStore(db, 5000, /*create=*/true);
  if (!store.ok()) {
    failed(store.status().message());
  } else {
    rec.ended_at = reports::NowUtcMillis();
    hop("pipeline end: exit " + std::to_string(rec.exit_code));
    auto id = [&]() -> Result<int64_t> {
      try {
        return reports::SavePipelineRecord(**store, rec);
      } catch (const std::exception& e) {
        return Status::Error("storing the pipeline record in " + db + ": unexpected exception: " + e.what());
      }
    }();
    if (!id.ok()) {
      failed(id.status().message());
    } else {
      rec.id = *id;
    }
  }
  if (rec.ended_at.empty()) {
    rec.ended_at = reports::NowUtcMillis();
    hop("pipeline end: exit " + std::to_string(rec.exit_code));
  }
  // The code the stored record holds (a failure below changes it: settle).
  int stored_code = rec.exit_code;
  reports::Ledger ledger;
  try {
    // Rendered from the record as stored, so `bitgate report` renders the
    // same bytes (AsStored: what is not UTF-8 is replaced alike).
    ledger = reports::BuildLedger(store.ok() ? store->get() : nullptr, reports::AsStored(rec));
  } catch (const std::exception& e) {
    failed("building the ledger from " + db + ": unexpected exception: " + e.what());
    ledger = reports::BuildLedger(nullptr, reports::AsStored(rec));  // the pipeline record alone
    ledger.notes = {"the ledger could not be built from the store: " + std::string(e.what()) +
                    "; gate details are missing"};
  }
  std::string md;
  const std::pair<const char*, std::function<std::string()>> files[] = {
      {"ledger.md", [&] { return md = reports::LedgerMarkdown(ledger); }},
      {"results.json", [&] { return reports::LedgerJson(ledger); }},
      {"junit.xml", [&] { return reports::LedgerJunit(ledger); }},
  };
  bool written[std::size(files)] = {};
  auto write = [&](size_t i) {
    const auto& [name, render] = files[i];
    Status s;
    try {
      s = gates::WriteFileAtomically((out_dir / name).string(), render());
    } catch (const std::exception& e) {
      s = Status::Error("cannot write " + (out_dir / name).string() + ": " + e.what());
    }
    if (s.ok()) written[i] = true;
    else failed(s.message());
  };
  // A report that could not be written makes the code 2 after the record
  // was stored and the other files rendered: store the new code (so
  // `bitgate report` returns what this process does) and render the files
  // already written again, so none of them says a state the process does
  // not exit with.
  auto settle = [&](const char* why) {
    if (rec.exit_code == stored_code) return;
    stored_code = rec.exit_code;
    hop("pipeline end: exit " + std::to_string(rec.exit_code) + " (" + why + ")");
    if (rec.id > 0 && store.ok())
      if (Status s = reports::UpdatePipelineRecord(**store, rec); !s.ok())
        std::fprintf(stderr, "bitgate pipeline: error: %s\n", s.message().c_str());
    const reports::PipelineRecord stored_rec = reports::AsStored(rec);
    ledger.pipeline.exit_code = stored_rec.exit_code;
    ledger.pipeline.hops = stored_rec.hops;
    md = reports::LedgerMarkdown(ledger);  // for the job summary, whether or not ledger.md was written
    for (size_t i = 0; i < std::size(files); ++i)
      if (written[i]) write(i);
  };
  for (size_t i = 0; i < std::size(files); ++i) write(i);
  settle("a report file could not be written");
  // The job summary (cut to GitHub's limit, JobSummaryText). Like the
  // files, a summary that cannot be appended is exit 2.
  if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary && !md.empty()) {
    const std::string text = reports::JobSummaryText(md, (out_dir / "ledger.md").string());
    std::ofstream f(summary, std::ios::app);
    f << text << "\n";
    f.close();
    if (!f) {
      failed(std::string("cannot append the ledger to the job summary ") + summary);
      settle("the job summary could not be written");
    }
  }
  std::printf("ledger: %s\n%s\n", (out_dir / "ledger.md").string().c_str(), reports::LedgerHeadline(ledger).c_str());
  return rec.exit_code;
}

}  // namespace

int RunPipeline(int argc, char** argv) {
  return RunGuarded(kVerb, Run, argc, argv);
}

}  // namespace bitgate::cli
