// Helpers shared by the gate tests: run a gate binary as a child process
// and keep its exit code and combined output.
#pragma once

#include <gtest/gtest.h>

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

}  // namespace bitgate::gates::gate_test
