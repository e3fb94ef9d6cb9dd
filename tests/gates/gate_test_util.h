// Helpers shared by the gate tests: run a gate binary as a child process
// and keep its exit code and combined output.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gates/subprocess.h"

namespace bitgate::gates::gate_test {

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Ran {
  int code = -1;  // -1 when the process could not be run
  std::string output;
};

// Runs `p` (whose output_file the caller sets) to completion.
inline Ran RunCaptured(const ProcessOptions& p) {
  auto r = RunProcess(p);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return {r.ok() ? r->Code() : -1, ReadAll(p.output_file)};
}

// Whether the `sleep` whose pid is written in `pid_file` ended within
// `seconds` (an ended one is gone, or a zombie with an empty command
// line). One still running is killed, so a failing test leaves nothing.
inline bool SleepEndedWithin(const std::filesystem::path& pid_file, double seconds) {
  long pid = 0;
  std::istringstream(ReadAll(pid_file)) >> pid;
  EXPECT_GT(pid, 0) << "no pid in " << pid_file;
  if (pid <= 0) return false;
  const auto sleeping = [&] { return ReadAll("/proc/" + std::to_string(pid) + "/cmdline").rfind("sleep", 0) == 0; };
  for (int i = 0; i < static_cast<int>(seconds / 0.05) && sleeping(); ++i) usleep(50000);
  if (!sleeping()) return true;
  kill(static_cast<pid_t>(pid), SIGKILL);
  return false;
}

}  // namespace bitgate::gates::gate_test
