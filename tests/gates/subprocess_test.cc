// RunProcess: which process group a child lands in, and what a timeout
// kills. The pipeline starts each gate as the leader of a new group and
// kills that group on a timeout; a gate's own children must therefore stay
// in the gate's group (they used to get groups of their own and outlived a
// timed-out gate; the end-to-end case is in gates_e2e_test).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>

#include "gates/subprocess.h"
#include "tests/gates/gate_test_util.h"

namespace bitgate::gates {
namespace {

namespace fs = std::filesystem;

class Subprocess : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("bitgate-subprocess-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // The child's pid and process group ("PID PGID"), as the child sees them.
  gate_test::Ran PidAndGroup(bool new_group) {
    ProcessOptions p;
    // Field 5 of /proc/PID/stat is the process group; the command name
    // (field 2) is "(sh)", with no space to shift the fields.
    p.argv = {"/bin/sh", "-c", "read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo \"$pid $pgrp\""};
    p.new_process_group = new_group;
    p.timeout_seconds = 30;
    p.output_file = (dir_ / "out.txt").string();
    return gate_test::RunCaptured(p);
  }

  fs::path dir_;
};

TEST_F(Subprocess, ChildStaysInTheCallersGroupByDefault) {
  const gate_test::Ran r = PidAndGroup(false);
  ASSERT_EQ(r.code, 0) << r.output;
  long pid = 0, pgrp = 0;
  ASSERT_EQ(std::sscanf(r.output.c_str(), "%ld %ld", &pid, &pgrp), 2) << r.output;
  EXPECT_EQ(pgrp, static_cast<long>(getpgrp())) << "a nested child left the caller's process group";
  EXPECT_NE(pid, pgrp);
}

TEST_F(Subprocess, NewProcessGroupMakesTheChildItsLeader) {
  const gate_test::Ran r = PidAndGroup(true);
  ASSERT_EQ(r.code, 0) << r.output;
  long pid = 0, pgrp = 0;
  ASSERT_EQ(std::sscanf(r.output.c_str(), "%ld %ld", &pid, &pgrp), 2) << r.output;
  EXPECT_EQ(pid, pgrp);
  EXPECT_NE(pgrp, static_cast<long>(getpgrp()));
}

// Without a group of its own, a timeout signals the child itself (a kill of
// the group -pid would reach nothing and the child would run on).
TEST_F(Subprocess, TimeoutKillsAChildInTheCallersGroup) {
  for (const bool new_group : {false, true}) {
    ProcessOptions p;
    p.argv = {"sleep", "30"};
    p.new_process_group = new_group;
    p.timeout_seconds = 0.3;
    p.output_file = (dir_ / "sleep.txt").string();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = RunProcess(p);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->timed_out) << new_group;
    EXPECT_EQ(r->signal, SIGTERM) << new_group << " " << r->Describe();
    EXPECT_LT(took, 5.0) << new_group << ": SIGTERM did not reach the child";
  }
}

}  // namespace
}  // namespace bitgate::gates
