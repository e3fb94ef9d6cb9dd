#include "gates/fuzz/fuzz_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "gates/fuzz/mutator.h"
#include "reports/format.h"

namespace bitgate::gates::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr int kExitInvariant = 86;  // the child found a failed invariant
constexpr int kExitSetup = 87;      // the child could not build its seeds
constexpr int kMaxSlices = 64;
constexpr size_t kMessageBytes = 4096;
// Corpus memory cap: GGUF entries are ~0.6 MB each, and two children may
// run beside other jobs on a small CI machine.
constexpr size_t kMaxCorpusBytes = size_t{96} << 20;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// CPU time of this process (the forked child runs one target).
int64_t CpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Shared between the parent and the forked child (MAP_SHARED), followed by
// the input buffer. Lock-free atomics on shared anonymous memory work across
// processes.
struct Shared {
  std::atomic<int64_t> input_started_ns;  // CLOCK_MONOTONIC, 0 when between inputs
  std::atomic<uint64_t> input_size;
  std::atomic<int64_t> execs;
  std::atomic<int64_t> seeds;
  std::atomic<int64_t> corpus_size;
  std::atomic<uint64_t> corpus_digest;
  std::atomic<int64_t> fuzz_ns;
  std::atomic<int64_t> fuzz_start_ns;  // when mutation began (0: still seeding)
  std::atomic<int32_t> n_slices;
  double slice_rates[kMaxSlices];
  char message[kMessageBytes];
};

class SharedRegion {
 public:
  explicit SharedRegion(size_t max_input) : bytes_(sizeof(Shared) + max_input), max_input_(max_input) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared_ = p == MAP_FAILED ? nullptr : new (p) Shared();
  }
  ~SharedRegion() {
    if (shared_) munmap(shared_, bytes_);
  }
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;
  Shared* get() const { return shared_; }
  // The input buffer follows the header in the same mapping.
  uint8_t* input() const { return reinterpret_cast<uint8_t*>(shared_) + sizeof(Shared); }
  size_t max_input() const { return max_input_; }

  void Publish(std::span<const uint8_t> in) const {
    const size_t n = std::min(in.size(), max_input_);
    std::memcpy(input(), in.data(), n);
    shared_->input_size.store(n, std::memory_order_relaxed);
    shared_->input_started_ns.store(NowNs(), std::memory_order_release);
  }
  Bytes Input() const {
    const size_t n = std::min<size_t>(shared_->input_size.load(), max_input_);
    return Bytes(input(), input() + n);
  }
  void SetMessage(const std::string& m) const {
    std::snprintf(shared_->message, kMessageBytes, "%s", m.c_str());
  }

 private:
  size_t bytes_;
  size_t max_input_;
  Shared* shared_ = nullptr;
};

// Runs one input with its failure made fatal for the child: the parent then
// finds the input in the shared region.
void RunPublished(const FuzzTarget& target, const SharedRegion& region, std::span<const uint8_t> in,
                  FuzzOutcome* outcome) {
  region.Publish(in);
  *outcome = FuzzOutcome{};
  target.run(in, outcome);
  if (!outcome->failure.empty()) {
    region.SetMessage(outcome->failure);
    std::fflush(stdout);
    _exit(kExitInvariant);
  }
  region.get()->input_started_ns.store(0, std::memory_order_release);
}

struct Entry {
  Bytes data;
  size_t hot = 0;
};

[[noreturn]] void ChildMain(const FuzzTarget& target, const FuzzOptions& options, const SharedRegion& region) {
  Shared* sh = region.get();
  std::vector<Bytes> seeds;
  if (Status s = target.seeds(&seeds); !s.ok()) {
    region.SetMessage(s.message());
    _exit(kExitSetup);
  }
  if (seeds.empty()) seeds.emplace_back();
  std::vector<Entry> corpus;
  std::unordered_set<uint64_t> features, hashes;
  FuzzOutcome outcome;
  for (const Bytes& s : seeds) {
    Bytes in(s.begin(), s.begin() + static_cast<ptrdiff_t>(std::min(s.size(), region.max_input())));
    if (!hashes.insert(HashBytes(in)).second) continue;
    RunPublished(target, region, in, &outcome);
    features.insert(outcome.feature);
    const size_t hot = target.hot_prefix ? target.hot_prefix(in) : 0;
    corpus.push_back({std::move(in), hot});
  }
  size_t corpus_bytes = 0;
  for (const Entry& e : corpus) corpus_bytes += e.data.size();
  sh->seeds.store(static_cast<int64_t>(corpus.size()));
  sh->corpus_size.store(static_cast<int64_t>(corpus.size()));

  // The name joins the seed so targets draw different streams.
  const uint64_t stream = HashMix(options.seed, HashBytes({reinterpret_cast<const uint8_t*>(target.name.data()),
                                                           target.name.size()}));
  Mutator mutator(stream, target.dictionary, std::min(target.max_input_bytes, region.max_input()));
  const int64_t start = NowNs();
  sh->fuzz_start_ns.store(start);
  const int64_t deadline = start + static_cast<int64_t>(options.budget_seconds * 1e9);
  const int64_t slice_ns = std::max<int64_t>(50000000, static_cast<int64_t>(options.budget_seconds * 1e8));
  // Rates per CPU second of this child: wall time would also measure how
  // often the machine's other jobs took the core (a 1.2x "slowdown" of
  // unchanged code between two runs on a shared machine).
  int64_t slice_start = start, slice_cpu_start = CpuNs(), slice_execs = 0, execs = 0;
  int32_t n_slices = 0;
  Bytes input;
  while (options.runs <= 0 || execs < options.runs) {
    const int64_t now = NowNs();
    if (now >= deadline) break;
    if (now - slice_start >= slice_ns && n_slices < kMaxSlices) {
      const int64_t cpu = CpuNs();
      sh->slice_rates[n_slices] =
          static_cast<double>(slice_execs) * 1e9 / static_cast<double>(std::max<int64_t>(1, cpu - slice_cpu_start));
      sh->n_slices.store(++n_slices);
      slice_start = now;
      slice_cpu_start = cpu;
      slice_execs = 0;
    }
    const Entry& base = corpus[mutator.Below(corpus.size())];
    const Entry& other = corpus[mutator.Below(corpus.size())];
    mutator.Mutate(base.data, base.hot, other.data, &input);
    RunPublished(target, region, input, &outcome);
    ++execs;
    ++slice_execs;
    sh->execs.store(execs, std::memory_order_relaxed);
    if (features.insert(outcome.feature).second && corpus.size() < options.max_corpus &&
        corpus_bytes + input.size() <= kMaxCorpusBytes && hashes.insert(HashBytes(input)).second) {
      const size_t hot = target.hot_prefix ? target.hot_prefix(input) : 0;
      corpus_bytes += input.size();
      corpus.push_back({input, hot});
      sh->corpus_size.store(static_cast<int64_t>(corpus.size()));
    }
  }
  sh->fuzz_ns.store(NowNs() - start);
  uint64_t digest = 0;
  for (const Entry& e : corpus) digest = HashMix(digest, HashBytes(e.data));
  sh->corpus_digest.store(digest);
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(0);
}

std::string SignalText(int sig) {
  const char* name = sigabbrev_np(sig);
  return std::string("killed by signal ") + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
}

// A sanitizer's first report line in the child's log, "" if none.
std::string SanitizerLine(const std::string& log) {
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                             "ERROR: UndefinedBehaviorSanitizer"}) {
    const size_t at = log.find(marker);
    if (at == std::string::npos) continue;
    const size_t begin = log.rfind('\n', at);
    const size_t end = log.find('\n', at);
    return log.substr(begin == std::string::npos ? 0 : begin + 1,
                      (end == std::string::npos ? log.size() : end) - (begin == std::string::npos ? 0 : begin + 1));
  }
  return "";
}

// Which limit of WaitWithWatchdog stopped the child.
// kWaitError: waitpid itself failed (e.g. ECHILD when SIGCHLD is ignored
// and the child was reaped): nothing is known of the child, no verdict.
enum class Watchdog { kNone, kInput, kOverall, kWaitError };

// Waits for the child, killing it when one input outlives the per-input
// limit or the whole child outlives overall_deadline_ns() (asked again on
// every poll: it may move, e.g. once seeding is over). Returns the wait
// status; `fired` says which limit, if any, stopped it.
template <typename Deadline>
int WaitWithWatchdog(pid_t pid, const Shared* sh, double input_timeout_s, const Deadline& overall_deadline_ns,
                     Watchdog* fired) {
  *fired = Watchdog::kNone;
  const auto timeout_ns = static_cast<int64_t>(input_timeout_s * 1e9);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) {
      *fired = Watchdog::kWaitError;
      return 0;
    }
    const int64_t now = NowNs();
    const int64_t started = sh->input_started_ns.load(std::memory_order_acquire);
    if (started != 0 && now - started > timeout_ns) *fired = Watchdog::kInput;
    else if (now > overall_deadline_ns()) *fired = Watchdog::kOverall;
    if (*fired != Watchdog::kNone) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return status;
    }
    usleep(5000);
  }
}

// Forks; the child sends stdout/stderr to `log_path` and runs `body`.
template <typename Body>
pid_t ForkChild(const std::string& log_path, Body body) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  body();
  _exit(0);
}

}  // namespace

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

// With the gate's own per-input timeout: a hang it found must replay as one.
std::string ReplayCommand(const FuzzOptions& options, const FuzzTarget& target, const std::string& path) {
  char timeout[32];
  std::snprintf(timeout, sizeof timeout, "%g", options.input_timeout_seconds);
  return reports::ShellWord(options.exe) + " --replay " + reports::ShellWord(path) + " --target " + target.name +
         " --input-timeout " + timeout + (target.planted ? " --planted-bugs" : "");
}

std::string SaveReproducer(const FuzzOptions& options, const FuzzTarget& target, const Bytes& input,
                           const FuzzFailure& failure, const std::string& log_tail) {
  const fs::path dir = fs::absolute(fs::path(options.out_dir) / "fuzz");
  std::error_code ec;
  fs::create_directories(dir, ec);
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(HashBytes(input)));
  const std::string path = (dir / (target.name + "-" + failure.kind + "-" + hash + ".bin")).string();
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(input.data()),
                                              static_cast<std::streamsize>(input.size()));
  std::ofstream note(path + ".txt");
  note << "target: " << target.name << "\nkind: " << failure.kind << "\nmessage: " << failure.message
       << "\nbytes: " << input.size() << "\nreplay: " << ReplayCommand(options, target, path)
       << "\nrerun the session: " << reports::ShellWord(options.exe) << " --targets " << target.name << " --seed "
       << options.seed << " --budget-seconds " << options.budget_seconds  // this target's share of the gate's
       << " --input-timeout " << options.input_timeout_seconds
       << (options.runs > 0 ? " --runs " + std::to_string(options.runs) : std::string())
       << (target.planted ? " --planted-bugs" : "")
       << "  (add the gate's --model, if it had one: the model is a GGUF seed)\n";
  if (!log_tail.empty()) note << "\nlog tail:\n" << log_tail << "\n";
  return path;
}

FuzzTargetReport FuzzTargetInChild(const FuzzTarget& target, const FuzzOptions& options) {
  FuzzTargetReport report;
  report.name = target.name;
  std::error_code ec;
  const fs::path dir = fs::path(options.out_dir) / "fuzz";
  fs::create_directories(dir, ec);
  report.log_path = (dir / (target.name + ".log")).string();
  SharedRegion region(target.max_input_bytes);
  if (region.get() == nullptr) {
    report.setup_error = "mmap of the shared region failed";
    return report;
  }
  const pid_t pid = ForkChild(report.log_path, [&] { ChildMain(target, options, region); });
  if (pid < 0) {
    report.setup_error = std::string("fork failed: ") + std::strerror(errno);
    return report;
  }
  // Each input is watched on its own. The child as a whole: seeding (model
  // synthesis) gets the allowance (a minute) beyond the budget from the fork; once it
  // fuzzes, the budget from its start, plus one input's limit and 30 s to
  // write its results. (Measured from the fork alone, a slow seeding was
  // blamed on whichever ordinary input was running at the deadline.)
  const Shared* sh = region.get();
  const int64_t forked = NowNs();
  const auto budget_ns = static_cast<int64_t>(options.budget_seconds * 1e9);
  const auto overall = [&] {
    const int64_t start = sh->fuzz_start_ns.load(std::memory_order_acquire);
    return start == 0 ? forked + budget_ns + static_cast<int64_t>(options.seeding_allowance_seconds * 1e9)
                      : start + budget_ns + static_cast<int64_t>((options.input_timeout_seconds + 30) * 1e9);
  };
  Watchdog fired = Watchdog::kNone;
  const int status = WaitWithWatchdog(pid, sh, options.input_timeout_seconds, overall, &fired);
  if (fired == Watchdog::kWaitError) {
    report.setup_error = std::string("waiting for the fuzzing child failed: ") + std::strerror(errno);
    return report;
  }
  report.execs = sh->execs.load();
  report.seeds = sh->seeds.load();
  report.corpus_size = sh->corpus_size.load();
  report.corpus_digest = sh->corpus_digest.load();
  report.seconds = static_cast<double>(sh->fuzz_ns.load()) / 1e9;
  if (report.seconds == 0 && sh->fuzz_start_ns.load() != 0)  // the child died mid-run
    report.seconds = static_cast<double>(NowNs() - sh->fuzz_start_ns.load()) / 1e9;
  for (int i = 0; i < sh->n_slices.load(); ++i) report.execs_per_second.push_back(sh->slice_rates[i]);
  // The whole log (up to 1 MB) is searched: an ASan report's first line is
  // followed by kilobytes of stack and shadow memory.
  const std::string log = FileTail(report.log_path, 1 << 20);
  FuzzFailure failure;
  bool in_input = sh->input_started_ns.load() != 0;
  if (fired == Watchdog::kInput) {
    failure.kind = "hang";
    failure.message =
        "one input ran longer than " + std::to_string(options.input_timeout_seconds) + " s (per-input watchdog)";
  } else if (fired == Watchdog::kOverall) {
    // No input reached the per-input limit: the input running at the
    // deadline is not the cause and is not saved as a reproducer.
    failure.kind = "hang";
    failure.message = sh->fuzz_start_ns.load() == 0
                          ? "seeding ran longer than the budget + " +
                                std::to_string(options.seeding_allowance_seconds) + " s"
                          : "the target ran past its budget (no single input over the per-input limit)";
    in_input = false;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && in_input) {
    // Code under test that calls exit(0) ended the session silently.
    failure.kind = "crash";
    failure.message = "the target exited with status 0 in the middle of an input";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (std::string line = SanitizerLine(log); !line.empty()) {
      // A recoverable sanitizer report: the child went on, so which input
      // caused it is unknown; the log has the stack.
      failure.kind = "sanitizer";
      failure.message = line + " (input unknown: see " + report.log_path + ")";
      report.failure = failure;
    }
    if (report.seconds == 0 && report.execs == 0) report.seconds = options.budget_seconds;
    return report;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitSetup) {
    report.setup_error = sh->message;
    return report;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitInvariant) {
    failure.kind = "invariant";
    failure.message = sh->message;
  } else {
    const std::string line = SanitizerLine(log);
    failure.kind = line.empty() ? "crash" : "sanitizer";
    failure.message = !line.empty() ? line
                      : WIFSIGNALED(status) ? SignalText(WTERMSIG(status))
                                            : "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (in_input || failure.kind == "invariant") {
    const Bytes input = region.Input();
    failure.reproducer =
        SaveReproducer(options, target, input, failure, log.size() > 8192 ? log.substr(log.size() - 8192) : log);
    failure.replay_command = ReplayCommand(options, target, failure.reproducer);
  } else {
    failure.message += " (outside any input: see " + report.log_path + ")";
  }
  report.failure = failure;
  return report;
}

ReplayResult ReplayInChild(const FuzzTarget& target, const Bytes& input, double timeout_seconds) {
  // The target's one-time set-up (the tokenizer target builds the tiny
  // model) happens here, before the timed input, as the fuzzing session
  // seeds before its first input: the child inherits it.
  {
    std::vector<Bytes> warm;
    if (target.seeds) (void)target.seeds(&warm);
  }
  ReplayResult result;
  SharedRegion region(std::max<size_t>(input.size(), 1));
  if (region.get() == nullptr) {
    result.setup_error = "mmap of the shared region failed";
    return result;
  }
  // In the temporary directory TMPDIR names (as the tests' own files are).
  std::string log_template = (std::filesystem::temp_directory_path() / "bitgate-replay-XXXXXX").string();
  const int fd = mkstemp(log_template.data());
  if (fd < 0) {
    result.setup_error = "cannot create the replay log " + log_template + ": " + std::strerror(errno);
    return result;
  }
  close(fd);
  const std::string log_path = log_template;
  const pid_t pid = ForkChild(log_path, [&] {
    FuzzOutcome outcome;
    RunPublished(target, region, input, &outcome);
    _exit(0);
  });
  if (pid < 0) {
    result.setup_error = std::string("fork failed: ") + std::strerror(errno);
    std::remove(log_path.c_str());
    return result;
  }
  Watchdog fired = Watchdog::kNone;
  const int64_t overall = NowNs() + static_cast<int64_t>((timeout_seconds + 60) * 1e9);
  const int status = WaitWithWatchdog(pid, region.get(), timeout_seconds, [&] { return overall; }, &fired);
  if (fired == Watchdog::kWaitError) {
    result.setup_error = std::string("waiting for the replay child failed: ") + std::strerror(errno);
    std::remove(log_path.c_str());
    return result;
  }
  const std::string log = FileTail(log_path, 1 << 20);
  std::remove(log_path.c_str());
  const std::string sanitizer = SanitizerLine(log);
  if (fired != Watchdog::kNone) {
    result = ReplayResult{true, "hang", "ran longer than " + std::to_string(timeout_seconds) + " s", ""};
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitInvariant) {
    result = ReplayResult{true, "invariant", region.get()->message, ""};
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && region.get()->input_started_ns.load() != 0) {
    result = ReplayResult{true, "crash", "the target exited with status 0 in the middle of the input", ""};
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (!sanitizer.empty()) result = ReplayResult{true, "sanitizer", sanitizer, ""};
  } else {
    result = ReplayResult{true, sanitizer.empty() ? "crash" : "sanitizer",
              !sanitizer.empty() ? sanitizer
              : WIFSIGNALED(status) ? SignalText(WTERMSIG(status))
                                    : "exited with status " + std::to_string(WEXITSTATUS(status)), ""};
  }
  if (result.failed && !log.empty() && result.kind != "invariant")
    result.message += "\n" + (log.size() > 8192 ? log.substr(log.size() - 8192) : log);
  return result;
}

}  // namespace bitgate::gates::fuzz
