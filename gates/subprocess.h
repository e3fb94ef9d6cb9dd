// Child processes for the gates and the pipeline: fork/exec with a
// timeout, stdout+stderr captured to a file, and what happened (exit code,
// signal, timeout) reported rather than propagated, so a crashing or
// hanging child never takes its parent down.
#pragma once

#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernels/base/status.h"

namespace bitgate::gates {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is the program (a path, or a name found on PATH)
  std::map<std::string, std::optional<std::string>> env;  // set (value) or unset (nullopt) in the child
  double timeout_seconds = 0;     // 0: none. On expiry: SIGTERM, then SIGKILL after 5 s
  // Start the child as the leader of a new process group, so that a
  // timeout signals the child and everything it started (the group). Only
  // the outermost caller should set it (the pipeline, for its gates): a
  // gate's own children stay in the gate's group, so that killing the
  // gate's group reaches them too. Without it a timeout signals the child
  // alone.
  bool new_process_group = false;
  std::string output_file;        // stdout and stderr go here ("" : /dev/null)
  std::string stdout_file;        // if set, stdout alone goes here (stderr to output_file)
  // Called in the parent once the child exists, with its pid (which is
  // also its process group with new_process_group).
  std::function<void(int pid)> on_start;
  // Called about once a second while the child runs (progress display).
  std::function<void(double elapsed_seconds)> on_tick;
  // When set and it turns non-zero (a signal handler's flag), the child is
  // stopped as on a timeout (SIGTERM, SIGKILL after 5 s) and the result
  // says `cancelled`.
  const volatile std::sig_atomic_t* cancel = nullptr;
};

struct ProcessResult {
  bool started = false;   // false: exec failed (exit_code 127) or fork failed
  int exit_code = -1;     // when exited normally
  int signal = 0;         // when killed by a signal
  bool timed_out = false;
  bool cancelled = false;  // stopped because ProcessOptions::cancel turned non-zero
  double seconds = 0;
  // "exit 0", "exit 1", "signal 11 (Segmentation fault)", "timeout after 30 s"
  std::string Describe() const;
  // The code a parent should record: the exit code, or 128 + signal.
  int Code() const { return signal ? 128 + signal : exit_code; }
};

// Runs the child to completion (or timeout). A Status error only when the
// output file cannot be opened or fork fails; a child that cannot exec
// exits 127 with the reason in its output.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

// The last `max_lines` lines (at most `max_bytes`) of a file.
std::string FileTail(const std::string& path, int max_lines, size_t max_bytes = 4096);

// Directory of the running executable (/proc/self/exe), "" if unknown.
std::string SelfDir();

}  // namespace bitgate::gates
