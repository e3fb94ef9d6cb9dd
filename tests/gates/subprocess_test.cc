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
#include <fstream>
#include <string>

#include "gates/files.h"
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

// A group leader that exits (or crashes) while what it started runs on: the
// rest of its group is stopped too, as GATES.md promises ("die with it").
TEST_F(Subprocess, WhatALeaderLeavesBehindIsStoppedWithIt) {
  const fs::path pid_file = dir_ / "orphan.pid";
  ProcessOptions p;
  p.argv = {"/bin/sh", "-c", "sleep 30 & echo $! > '" + pid_file.string() + "'; exit 3"};
  p.new_process_group = true;
  p.output_file = (dir_ / "out.txt").string();
  int started = 0;
  p.on_start = [&](int pid) { started = pid; };
  const auto t0 = std::chrono::steady_clock::now();
  auto r = RunProcess(p);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_LT(took, 4.0) << "SIGTERM did not stop the leader's child";
  EXPECT_GT(started, 0);
  EXPECT_TRUE(gate_test::SleepEndedWithin(pid_file, 2)) << "the leader's child outlived it";
}

// The program is looked up on the child's PATH (--baseline-env PATH=...),
// and a program that cannot run says why, in the output, with exit 127.
TEST_F(Subprocess, ProgramIsFoundOnTheChildsPathAndExecFailuresAreNamed) {
  const fs::path bin = dir_ / "bin";
  fs::create_directories(bin);
  std::ofstream(bin / "bitgate-hello") << "#!/bin/sh\necho hello from the PATH of the child\n";
  fs::permissions(bin / "bitgate-hello", fs::perms::owner_all);
  ProcessOptions p;
  p.argv = {"bitgate-hello"};
  p.env["PATH"] = bin.string();
  p.output_file = (dir_ / "hello.txt").string();
  const gate_test::Ran hello = gate_test::RunCaptured(p);
  EXPECT_EQ(hello.code, 0) << hello.output;
  EXPECT_NE(hello.output.find("hello from the PATH of the child"), std::string::npos) << hello.output;
  p.argv = {"bitgate-no-such-program"};
  auto r = RunProcess(p);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->started);
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_NE(gate_test::ReadAll(p.output_file).find("exec bitgate-no-such-program: No such file or directory"),
            std::string::npos);
}

// Output files: replaced whole (no temporary left), through a symlink the
// link stays and its target changes, a device is written in place (a
// rename would replace /dev/null), a directory is an error naming it.
TEST_F(Subprocess, OutputFilesAreReplacedWholeAndSpecialFilesWrittenInPlace) {
  const fs::path file = dir_ / "report.md";
  ASSERT_TRUE(WriteFileAtomically(file.string(), "old").ok());
  ASSERT_TRUE(WriteFileAtomically(file.string(), std::string("new\0bytes", 9)).ok());
  EXPECT_EQ(gate_test::ReadAll(file), std::string("new\0bytes", 9));
  const fs::path link = dir_ / "latest.md";
  fs::create_symlink(file, link);
  ASSERT_TRUE(WriteFileAtomically(link.string(), "through the link").ok());
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(gate_test::ReadAll(file), "through the link");
  ASSERT_TRUE(WriteFileAtomically("/dev/null", "discarded").ok());
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_TRUE(WriteFileAtomically("/dev/stdout", "").ok());  // a pipe under ctest: written, not resolved
  // The old file's mode is kept; a dangling link gets its target created.
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  ASSERT_TRUE(WriteFileAtomically(file.string(), "mode kept").ok());
  EXPECT_EQ(fs::status(file).permissions(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  const fs::path dangling = dir_ / "dangling.md";
  fs::create_symlink(dir_ / "created.md", dangling);
  ASSERT_TRUE(WriteFileAtomically(dangling.string(), "made").ok());
  EXPECT_TRUE(fs::is_symlink(dangling));
  EXPECT_EQ(gate_test::ReadAll(dir_ / "created.md"), "made");
  const Status dir = WriteFileAtomically(dir_.string(), "x");
  EXPECT_FALSE(dir.ok());
  EXPECT_NE(dir.message().find("cannot write " + dir_.string()), std::string::npos) << dir.message();
  const Status missing = WriteFileAtomically((dir_ / "no" / "such" / "dir.md").string(), "x");
  EXPECT_FALSE(missing.ok());
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_NE(e.path().filename().string().front(), '.') << "a temporary was left behind: " << e.path();
}

}  // namespace
}  // namespace bitgate::gates
