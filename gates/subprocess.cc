#include "gates/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace bitgate::gates {

std::string ProcessResult::Describe() const {
  if (!started) return "could not start (exit " + std::to_string(exit_code) + ")";
  char buf[96];
  if (timed_out) {
    std::snprintf(buf, sizeof buf, "timeout after %.0f s", seconds);
    return buf;
  }
  if (cancelled) {
    std::snprintf(buf, sizeof buf, "cancelled after %.0f s", seconds);
    return buf;
  }
  if (signal) return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit " + std::to_string(exit_code);
}

namespace {

int OpenForWrite(const std::string& path) {
  return open(path.empty() ? "/dev/null" : path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

// The program exec will run, as execvp finds it but on `path` (the
// child's PATH, which may differ from ours; /bin:/usr/bin when unset): a
// name with a '/' as it is, else the first regular executable file of that
// name, else "" (not found).
std::string ResolveProgram(const std::string& name, const std::optional<std::string>& path) {
  if (name.find('/') != std::string::npos) return name;
  const std::string dirs = path.value_or("/bin:/usr/bin");
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

// The reasons exec fails for, as text, looked up in the child by errno
// (strerror may allocate, which a child of a threaded parent must not).
struct ExecErrors {
  static constexpr int kCodes[] = {ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP, E2BIG, ENOMEM, ETXTBSY};
  std::string text[std::size(kCodes)];
  ExecErrors() {
    for (size_t i = 0; i < std::size(kCodes); ++i) text[i] = std::strerror(kCodes[i]);
  }
  const std::string* Find(int code) const {
    for (size_t i = 0; i < std::size(kCodes); ++i)
      if (kCodes[i] == code) return &text[i];
    return nullptr;
  }
};

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t k = write(fd, p, n);
    if (k <= 0) return;
    p += k;
    n -= static_cast<size_t>(k);
  }
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  if (options.argv.empty()) return Status::Error("RunProcess: empty argv");
  const int out_fd = OpenForWrite(options.output_file);
  if (out_fd < 0) return Status::Error("cannot open " + options.output_file + ": " + std::strerror(errno));
  int stdout_fd = out_fd;
  if (!options.stdout_file.empty()) {
    stdout_fd = OpenForWrite(options.stdout_file);
    if (stdout_fd < 0) {
      close(out_fd);
      return Status::Error("cannot open " + options.stdout_file + ": " + std::strerror(errno));
    }
  }
  // Everything exec needs, the environment included, is built before fork:
  // the child only calls async-signal-safe functions (setenv is not: it
  // takes the allocator's lock, which another thread may have held at fork).
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (!options.env.count(key)) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : options.env)
    if (value) env_strings.push_back(key + "=" + *value);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::optional<std::string> child_path;
  if (auto it = options.env.find("PATH"); it != options.env.end()) {
    child_path = it->second;
  } else if (const char* p = std::getenv("PATH")) {
    child_path = p;
  }
  const std::string program = ResolveProgram(options.argv[0], child_path);
  const std::string exec_prefix = "exec " + options.argv[0] + ": ";
  const ExecErrors exec_errors;
  std::fflush(nullptr);
  // A cancelling signal between fork and on_start would find no child to
  // stop (the pipeline's handler kills the group on_start records): such
  // signals wait until the parent has recorded it; the child unblocks them.
  sigset_t cancel_signals, old_mask;
  sigemptyset(&cancel_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&cancel_signals, sig);
  pthread_sigmask(SIG_BLOCK, &cancel_signals, &old_mask);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    close(out_fd);
    if (stdout_fd != out_fd) close(stdout_fd);
    return Status::Error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    // Own process group, so a timeout kills the child's children too.
    if (options.new_process_group) setpgid(0, 0);
    dup2(stdout_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (!program.empty()) execve(program.c_str(), argv.data(), envp.data());
    const int err = program.empty() ? ENOENT : errno;
    WriteAll(STDERR_FILENO, exec_prefix.data(), exec_prefix.size());
    if (const std::string* why = exec_errors.Find(err)) {
      WriteAll(STDERR_FILENO, why->data(), why->size());
    } else {
      char digits[16];
      int n = 0;
      for (int v = err; n == 0 || v > 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
      WriteAll(STDERR_FILENO, "errno ", 6);
      while (n > 0) WriteAll(STDERR_FILENO, &digits[--n], 1);
    }
    WriteAll(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  if (options.new_process_group) setpgid(pid, pid);  // also from the parent: no race with the kill below
  if (options.on_start) options.on_start(pid);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  // The group when the child leads one, else the child alone.
  const pid_t target = options.new_process_group ? -pid : pid;
  close(out_fd);
  if (stdout_fd != out_fd) close(stdout_fd);

  ProcessResult r;
  r.started = true;
  int status = 0;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  double next_tick = 1.0, term_sent_at = -1;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return Status::Error(std::string("waitpid failed: ") + std::strerror(errno));
    const double t = elapsed();
    const bool expired = options.timeout_seconds > 0 && t > options.timeout_seconds;
    const bool cancel = options.cancel != nullptr && *options.cancel != 0;
    if (expired || cancel) {
      if (term_sent_at < 0) {
        (expired ? r.timed_out : r.cancelled) = true;
        kill(target, SIGTERM);
        term_sent_at = t;
      } else if (t - term_sent_at > 5) {
        kill(target, SIGKILL);
      }
    }
    if (options.on_tick && t >= next_tick) {
      options.on_tick(t);
      next_tick = t + 1.0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(t < 2 ? 5 : 50));
  }
  // The leader is gone, stopped or not; what it started may not be (a
  // crashed gate's engine child, a member that ignores SIGTERM). The group
  // gets SIGTERM, 5 s of grace, then SIGKILL, each only while it still
  // exists (a group id that vanished may be reused).
  if (options.new_process_group && kill(target, 0) == 0) {
    if (term_sent_at < 0) {
      kill(target, SIGTERM);
      term_sent_at = elapsed();
    }
    bool alive = true;
    while ((alive = kill(target, 0) == 0) && elapsed() - term_sent_at < 5)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (alive) kill(target, SIGKILL);
  }
  r.seconds = elapsed();
  if (r.timed_out) r.seconds = std::min(r.seconds, options.timeout_seconds);
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    if (r.exit_code == 127) {
      // execvp failure is reported by the child as exit 127.
      const std::string tail = FileTail(options.output_file, 1);
      if (tail.rfind("exec ", 0) == 0) r.started = false;
    }
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  return r;
}

std::string FileTail(const std::string& path, int max_lines, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes) ? size - static_cast<std::streamoff>(max_bytes) : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t pos = text.size();
  for (int lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = text.rfind('\n', pos - 1);
  }
  if (pos != std::string::npos && pos < text.size() && text[pos] == '\n') ++pos;
  if (pos == std::string::npos) pos = 0;
  return text.substr(pos);
}

std::string SelfDir() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.parent_path().string();
}

}  // namespace bitgate::gates
