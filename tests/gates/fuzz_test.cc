// The fuzz gate: planted bugs (a failed invariant, a crash, a hang) each fail
// it with exit 4 and leave a reproducer whose replay command fails the same
// way; a clean run exits 0 and records execs/s (the corpus sizes in its
// summary); a seed and a run count fix the corpus. Plus the engine's pieces
// in-process: mutator determinism, behaviour features, crash isolation of a
// test-only target.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "baselines/ingest_gbench.h"
#include "baselines/result_json.h"
#include "engine/forward.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/synth.h"
#include "engine/thread_pool.h"
#include "gates/fuzz/fuzz_runner.h"
#include "gates/fuzz/fuzz_target.h"
#include "gates/fuzz/mutator.h"
#include "gates/subprocess.h"
#include "tests/gates/gate_test_util.h"

namespace bitgate::gates::fuzz {
namespace {

namespace fs = std::filesystem;

using gate_test::ReadAll;
using gate_test::Ran;

class FuzzGate : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("bitgate-fuzz-") + info->name() + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  Ran Run(std::vector<std::string> args) {
    ProcessOptions p;
    p.argv = std::move(args);
    p.timeout_seconds = 120;
    p.output_file = (dir_ / ("out-" + std::to_string(runs_++) + ".txt")).string();
    return gate_test::RunCaptured(p);
  }

  // The gate with a temporary store and output directory `out`.
  Ran Gate(const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args = {BITGATE_FUZZ_BIN, "--db", (dir_ / "db" / "baselines.db").string(), "--out",
                                     (dir_ / out).string(), "--branch", "main", "--commit", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }

  nlohmann::json Summary(const std::string& out) {
    return nlohmann::json::parse(ReadAll(dir_ / out / "fuzz" / "summary.json"));
  }

  // Splits a replay command line from summary.json into argv.
  static std::vector<std::string> Words(const std::string& command) {
    std::vector<std::string> w;
    std::stringstream ss(command);
    for (std::string s; ss >> s;) w.push_back(s);
    return w;
  }

  fs::path dir_;
  int runs_ = 0;
};

TEST_F(FuzzGate, PlantedInvariantFailsTheGateAndItsReproducerReplays) {
  const Ran r = Gate("inv", {"--planted-bugs", "--targets", "planted_invariant", "--budget-seconds", "5"});
  ASSERT_EQ(r.code, 4) << r.output;
  const auto t = Summary("inv")["targets"][0];
  ASSERT_TRUE(t.contains("failure")) << t.dump(2);
  EXPECT_EQ(t["failure"]["kind"], "invariant");
  const std::string repro = t["failure"]["reproducer"];
  ASSERT_TRUE(fs::exists(repro));
  EXPECT_NE(ReadAll(repro).find("BUG!"), std::string::npos);
  EXPECT_NE(ReadAll(repro + ".txt").find("--replay"), std::string::npos);
  // The session rerun line carries this target's budget (the gate's 5 s,
  // one target): with the default budget a late find is not reached again.
  EXPECT_TRUE(std::regex_search(ReadAll(repro + ".txt"), std::regex("--targets planted_invariant --seed \\d+ --budget-seconds 5 ")))
      << ReadAll(repro + ".txt");
  EXPECT_NE(ReadAll(dir_ / "inv" / "report.md").find("planted invariant"), std::string::npos);
  // The saved command replays the failure.
  const Ran replay = Run(Words(t["failure"]["replay"]));
  EXPECT_EQ(replay.code, 4) << replay.output;
  EXPECT_NE(replay.output.find("planted invariant: input contains BUG!"), std::string::npos) << replay.output;
  // --replay=FILE is a replay too (it started a full fuzz session), and a
  // --target without --replay is refused, not ignored.
  const Ran eq = Run({BITGATE_FUZZ_BIN, "--replay=" + repro, "--target=planted_invariant", "--planted-bugs"});
  EXPECT_EQ(eq.code, 4) << eq.output;
  EXPECT_NE(eq.output.find("planted invariant: input contains BUG!"), std::string::npos) << eq.output;
  const Ran target = Gate("target", {"--target", "gguf", "--budget-seconds", "1"});
  EXPECT_EQ(target.code, 2) << target.output;
  EXPECT_NE(target.output.find("--target names the target of --replay FILE"), std::string::npos) << target.output;
}

// A target named twice runs once (it had halved every budget, and the
// store refused the repeated benchmark after the whole run: exit 2).
TEST_F(FuzzGate, ATargetNamedTwiceRunsOnce) {
  const Ran r = Gate("twice", {"--targets", "gguf,gguf", "--budget-seconds", "1"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Summary("twice")["targets"].size(), 1u);
}

TEST_F(FuzzGate, PlantedCrashIsIsolatedAndOtherTargetsStillRun) {
  const Ran r = Gate("crash", {"--planted-bugs", "--targets", "planted_crash,shape", "--budget-seconds", "4"});
  ASSERT_EQ(r.code, 4) << r.output;
  const auto targets = Summary("crash")["targets"];
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0]["failure"]["kind"], "crash");
  EXPECT_NE(targets[0]["failure"]["message"].get<std::string>().find("signal 11"), std::string::npos);
  EXPECT_FALSE(targets[1].contains("failure"));
  EXPECT_GT(targets[1]["execs"].get<int64_t>(), 1000);
  const Ran replay = Run(Words(targets[0]["failure"]["replay"]));
  EXPECT_EQ(replay.code, 4) << replay.output;
  EXPECT_NE(replay.output.find("SIGSEGV"), std::string::npos) << replay.output;
}

TEST_F(FuzzGate, PlantedHangIsStoppedByThePerInputWatchdog) {
  const Ran r = Gate("hang", {"--planted-bugs", "--targets", "planted_hang", "--budget-seconds", "5",
                              "--input-timeout", "0.5"});
  ASSERT_EQ(r.code, 4) << r.output;
  const auto t = Summary("hang")["targets"][0];
  EXPECT_EQ(t["failure"]["kind"], "hang");
  const std::string repro = t["failure"]["reproducer"];
  EXPECT_NE(ReadAll(repro).find("HANG"), std::string::npos);
  // The saved command carries the gate's per-input timeout, so the hang
  // replays as one (the replay's own default was 10 s).
  const std::string command = t["failure"]["replay"];
  EXPECT_NE(command.find("--input-timeout 0.5"), std::string::npos) << command;
  const Ran replay = Run(Words(command));
  EXPECT_EQ(replay.code, 4) << replay.output;
  EXPECT_NE(replay.output.find("hang"), std::string::npos) << replay.output;
}

// The corpus size is one figure per run: as a measure (it was one, with one
// sample) its row was always INCONCLUSIVE (too few samples), so every
// --strict run exited 3. It is in summary.json, and every stored measure
// has enough samples for a verdict.
TEST_F(FuzzGate, CleanRunPassesAndRecordsExecRatesWithCorpusSizesInTheSummary) {
  const Ran first = Gate("a", {"--budget-seconds", "6"});
  ASSERT_EQ(first.code, 0) << first.output;
  const auto results = nlohmann::json::parse(ReadAll(dir_ / "a" / "results.json"));
  std::vector<std::string> names;
  for (const auto& b : results["benchmarks"]) {
    names.push_back(b["name"]);
    bool rate = false;
    for (const auto& m : b["measures"]) {
      EXPECT_GE(m["samples"].size(), 5u) << b["name"] << " " << m["name"] << ": too few samples to judge";
      if (m["name"] == "execs_per_second") {
        rate = true;
        EXPECT_EQ(m["direction"], "higher");
        for (double v : m["samples"]) EXPECT_GT(v, 0);
      }
    }
    EXPECT_TRUE(rate) << b.dump(2);
  }
  const auto summary = Summary("a");
  ASSERT_EQ(summary["targets"].size(), 7u);
  for (const auto& t : summary["targets"]) EXPECT_GT(t["corpus_size"].get<int64_t>(), 0) << t.dump(2);
  EXPECT_EQ(names, (std::vector<std::string>{"fuzz/gguf", "fuzz/model", "fuzz/tokenizer", "fuzz/shape", "fuzz/quant",
                                             "fuzz/result_json", "fuzz/gbench_json"}));
  // A second run is judged against the first. Rates on a shared 2-core
  // machine swing 2x when ctest runs tests in parallel, so a rate verdict
  // between two runs of the same build, options and model would be the
  // machine's: the runs share a config_hash, and a difference is drift
  // (INCONCLUSIVE), never a regression (exit 1 before the hash was set).
  const Ran second = Gate("b", {"--budget-seconds", "6", "--delta", "90%", "--cv-ceiling", "50%"});
  EXPECT_EQ(second.code, 0) << second.output;
  const auto first_hash = nlohmann::json::parse(ReadAll(dir_ / "a" / "results.json"))["run"]["config_hash"];
  const auto second_hash = nlohmann::json::parse(ReadAll(dir_ / "b" / "results.json"))["run"]["config_hash"];
  EXPECT_EQ(first_hash, second_hash);
  EXPECT_EQ(first_hash.get<std::string>().size(), 64u);
  const std::string report = ReadAll(dir_ / "b" / "report.md");
  EXPECT_NE(report.find("baseline: a "), std::string::npos) << report;
  EXPECT_NE(report.find("| fuzz/gguf | execs_per_second"), std::string::npos) << report;
  EXPECT_EQ(report.find("too few samples"), std::string::npos) << report;
}

TEST_F(FuzzGate, SeedAndRunCountFixTheCorpus) {
  const std::vector<std::string> common = {"--targets", "shape,tokenizer,result_json", "--runs", "3000",
                                           "--budget-seconds", "90"};
  auto run = [&](const std::string& out, const std::string& seed) {
    auto args = common;
    args.insert(args.end(), {"--seed", seed});
    EXPECT_EQ(Gate(out, args).code, 0);
    std::vector<std::string> digests;
    const auto summary = Summary(out);  // kept alive: range-for over a temporary's member dangles
    for (const auto& t : summary["targets"]) {
      EXPECT_EQ(t["execs"], 3000);
      digests.push_back(t["corpus_digest"]);
    }
    return digests;
  };
  const auto a = run("s5a", "5"), b = run("s5b", "5"), c = run("s6", "6");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST_F(FuzzGate, ReplayOfAPassingInputExitsZeroAndBadArgumentsExitTwo) {
  const fs::path input = dir_ / "ok.bin";
  std::ofstream(input) << "harmless";
  EXPECT_EQ(Run({BITGATE_FUZZ_BIN, "--replay", input.string(), "--target", "tokenizer"}).code, 0);
  EXPECT_EQ(Run({BITGATE_FUZZ_BIN, "--replay", input.string(), "--target", "nonesuch"}).code, 2);
  EXPECT_EQ(Run({BITGATE_FUZZ_BIN, "--replay", input.string(), "--target", "planted_crash"}).code, 2)
      << "planted targets need --planted-bugs";
  EXPECT_EQ(Gate("bad", {"--targets", "nonesuch"}).code, 2);
  // No libFuzzer binaries there: the targets cannot run, no verdict.
  EXPECT_EQ(Gate("nolf", {"--targets", "shape", "--libfuzzer", (dir_ / "nowhere").string()}).code, 2);
}

// The budget and the per-input watchdog must be finite seconds > 0. NaN
// passed the old `<= 0` check: --budget-seconds nan fuzzed nothing and the
// gate passed, --input-timeout nan called the first input a hang (exit 4),
// and inf became an undefined conversion to int64 nanoseconds.
TEST_F(FuzzGate, NonFiniteOrNonPositiveSecondsAreUsageErrors) {
  for (const char* option : {"--budget-seconds", "--input-timeout"}) {
    for (const char* value : {"nan", "inf", "0", "-1"}) {
      std::vector<std::string> args = {"--targets", "shape", std::string(option) + "=" + value};
      if (std::string(option) != "--budget-seconds") args.insert(args.end(), {"--budget-seconds", "1"});
      const Ran r = Gate("bad", args);
      EXPECT_EQ(r.code, 2) << option << " " << value << "\n" << r.output;
      EXPECT_NE(r.output.find(std::string("bitgate-fuzz: error: ") + option + " " + value +
                              ": must be a finite number of seconds > 0"),
                std::string::npos)
          << r.output;
    }
  }
  const fs::path input = dir_ / "ok.bin";
  std::ofstream(input) << "harmless";
  const Ran replay =
      Run({BITGATE_FUZZ_BIN, "--replay", input.string(), "--target", "tokenizer", "--input-timeout", "nan"});
  EXPECT_EQ(replay.code, 2) << replay.output;
  EXPECT_NE(replay.output.find("--input-timeout nan: must be a finite number of seconds > 0"), std::string::npos)
      << replay.output;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BITGATE_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BITGATE_TEST_ASAN 1
#endif

// In sanitizer builds (presets sanitize, fuzz) a heap overflow is reported
// by ASan in the child and becomes a "sanitizer" failure with a reproducer.
TEST_F(FuzzGate, SanitizerReportFailsTheGate) {
#ifndef BITGATE_TEST_ASAN
  GTEST_SKIP() << "needs an AddressSanitizer build (cmake --preset sanitize)";
#else
  const Ran r = Gate("oob", {"--planted-bugs", "--targets", "planted_oob", "--budget-seconds", "5"});
  ASSERT_EQ(r.code, 4) << r.output;
  const auto t = Summary("oob")["targets"][0];
  EXPECT_EQ(t["failure"]["kind"], "sanitizer");
  EXPECT_NE(t["failure"]["message"].get<std::string>().find("heap-buffer-overflow"), std::string::npos);
#endif
}

// ---- in-process pieces ------------------------------------------------

TEST(FuzzMutator, SameSeedSameMutations) {
  const Bytes base = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  Mutator a(42, {"tok"}, 64), b(42, {"tok"}, 64), c(43, {"tok"}, 64);
  Bytes x, y, z;
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    a.Mutate(base, 0, base, &x);
    b.Mutate(base, 0, base, &y);
    c.Mutate(base, 0, base, &z);
    ASSERT_EQ(x, y);
    ASSERT_LE(x.size(), 64u);
    differ += x != z;
  }
  EXPECT_GT(differ, 100);
}

TEST(FuzzFeatures, DigitsAndQuotedInputDoNotMakeNewFeatures) {
  EXPECT_EQ(StatusFeature(Status::Error("offset 17 past end of 'a'")),
            StatusFeature(Status::Error("offset 9000 past end of 'bcd'")));
  EXPECT_NE(StatusFeature(Status::Error("offset 17 past end")), StatusFeature(Status::Error("bad magic")));
  EXPECT_NE(StatusFeature(Status::Ok(), 1), StatusFeature(Status::Ok(), 2));
}

// A test-only target run through the library: its planted bug is found,
// the child dies by the signal, the parent keeps the input.
TEST(FuzzRunner, CrashInATestOnlyTargetIsCaughtWithItsInput) {
  FuzzTarget t;
  t.name = "test_abort_on_zz";
  t.seeds = [](std::vector<Bytes>* s) {
    s->push_back({'a', 'b', 'c'});
    return Status::Ok();
  };
  t.run = [](std::span<const uint8_t> in, FuzzOutcome* out) {
    out->feature = in.size();
    for (size_t i = 0; i + 1 < in.size(); ++i)
      if (in[i] == 'z' && in[i + 1] == 'z') std::raise(SIGABRT);
  };
  t.dictionary = {"zz"};
  t.max_input_bytes = 64;
  FuzzOptions o;
  o.budget_seconds = 10;
  o.out_dir = (fs::temp_directory_path() / ("bitgate-fuzz-runner-" + std::to_string(getpid()))).string();
  const auto r = FuzzTargetInChild(t, o);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->kind, "crash");
  EXPECT_NE(r.failure->message.find("SIGABRT"), std::string::npos) << r.failure->message;
  const std::string saved = ReadAll(r.failure->reproducer);
  EXPECT_NE(saved.find("zz"), std::string::npos);
  EXPECT_TRUE(ReplayInChild(t, Bytes(saved.begin(), saved.end()), 5).failed);
  EXPECT_FALSE(ReplayInChild(t, Bytes{'o', 'k'}, 5).failed);
  fs::remove_all(o.out_dir);
}

// Code under test that calls exit(0) ended the child "cleanly" and the
// gate passed with the rest of the budget skipped: exiting in the middle
// of an input is a crash, with that input kept, and its replay fails.
TEST(FuzzRunner, ExitZeroInTheMiddleOfAnInputIsACrash) {
  FuzzTarget t;
  t.name = "test_exit_on_q";
  t.seeds = [](std::vector<Bytes>* s) {
    s->push_back({'a', 'b'});
    return Status::Ok();
  };
  t.run = [](std::span<const uint8_t> in, FuzzOutcome* out) {
    out->feature = in.size();
    for (uint8_t c : in)
      if (c == 'q') std::exit(0);
  };
  t.dictionary = {"q"};
  t.max_input_bytes = 64;
  FuzzOptions o;
  o.budget_seconds = 10;
  o.out_dir = (fs::temp_directory_path() / ("bitgate-fuzz-exit-" + std::to_string(getpid()))).string();
  const auto r = FuzzTargetInChild(t, o);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->kind, "crash");
  EXPECT_EQ(r.failure->message, "the target exited with status 0 in the middle of an input");
  const std::string saved = ReadAll(r.failure->reproducer);
  EXPECT_NE(saved.find('q'), std::string::npos);
  const ReplayResult replay = ReplayInChild(t, Bytes(saved.begin(), saved.end()), 5);
  EXPECT_TRUE(replay.failed);
  EXPECT_EQ(replay.kind, "crash");
  EXPECT_FALSE(ReplayInChild(t, Bytes{'o', 'k'}, 5).failed);
  fs::remove_all(o.out_dir);
}

// The whole-child limit runs from the start of fuzzing, not from the fork:
// a seeding longer than its allowance (but within budget + allowance) made
// the deadline fall on an ordinary input, which was saved as a "hang" that
// replayed clean. Here seeding takes 1.5 s of a 3 s budget + 1 s allowance:
// the old deadline (4 s after the fork) fell in the last half second of
// fuzzing, while seeding has 2.5 s to spare.
FuzzTarget SlowSeedingTarget() {
  FuzzTarget t;
  t.name = "test_slow_seeds";
  t.seeds = [](std::vector<Bytes>* s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    s->push_back({'a'});
    return Status::Ok();
  };
  t.run = [](std::span<const uint8_t> in, FuzzOutcome* out) { out->feature = in.size(); };
  t.max_input_bytes = 16;
  return t;
}

TEST(FuzzRunner, SlowSeedingIsNotBlamedOnAnInput) {
  FuzzOptions o;
  o.budget_seconds = 3;
  o.seeding_allowance_seconds = 1;
  o.out_dir = (fs::temp_directory_path() / ("bitgate-fuzz-slow-" + std::to_string(getpid()))).string();
  const auto r = FuzzTargetInChild(SlowSeedingTarget(), o);
  EXPECT_FALSE(r.failure.has_value()) << r.failure->kind << ": " << r.failure->message;
  EXPECT_GT(r.execs, 0);
  fs::remove_all(o.out_dir);
}

// Seeding past budget + allowance is a hang of the child, with no input to
// blame and no reproducer.
TEST(FuzzRunner, SeedingPastItsAllowanceIsAHangWithoutReproducer) {
  FuzzOptions o;
  o.budget_seconds = 0.2;
  o.seeding_allowance_seconds = 0.3;
  o.out_dir = (fs::temp_directory_path() / ("bitgate-fuzz-seeding-" + std::to_string(getpid()))).string();
  const auto r = FuzzTargetInChild(SlowSeedingTarget(), o);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->kind, "hang");
  EXPECT_NE(r.failure->message.find("seeding ran longer than the budget + 0.3"), std::string::npos)
      << r.failure->message;
  EXPECT_EQ(r.failure->reproducer, "");
  fs::remove_all(o.out_dir);
}

TEST(FuzzTargets, EveryTargetAcceptsItsSeeds) {
  for (const auto& t : AllTargets()) {
    if (t.planted) continue;
    std::vector<Bytes> seeds;
    ASSERT_TRUE(t.seeds(&seeds).ok()) << t.name;
    ASSERT_FALSE(seeds.empty()) << t.name;
    for (const auto& s : seeds) {
      FuzzOutcome out;
      t.run(s, &out);
      EXPECT_EQ(out.failure, "") << t.name;
      // The result_json target's round trip runs only on what parses: its
      // seed must (samples at 1e-300 had fallen outside the accepted range).
      if (t.name == "result_json") {
        auto parsed = baselines::ParseResultJson(std::string_view(reinterpret_cast<const char*>(s.data()), s.size()),
                                                 "seed");
        EXPECT_TRUE(parsed.ok()) << parsed.status().message();
      }
    }
  }
}

// Found by the `gbench_json` target in a sanitizer build: a context
// "mhz_per_cpu" of 2.4e23 was cast to int (undefined behaviour, UBSan at
// baselines/ingest_gbench.cc:83). Fixed there with a range check; the
// informational figure is now ignored when out of range.
TEST(IngestFix, HugeMhzPerCpuIsIgnored) {
  const std::string text = R"({"context": {"mhz_per_cpu": 2.4e23}, "benchmarks": [
      {"name": "BM_A", "run_type": "iteration", "real_time": 5, "cpu_time": 5, "time_unit": "ns"}]})";
  auto run = baselines::ParseGbenchJson(text, "t.json", {}, nullptr);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->machine.mhz, 0);
}

// Found by the `model` target under libFuzzer + UBSan (bitgate-fuzz
// --libfuzzer build/fuzz/gates/fuzz): a model file whose f32 norm weights
// held a NaN loaded, and the forward pass fed NaN activations to
// kernels::Activations::Quantize, which cast NaN to int8 (undefined:
// "kernels/matmul.cc:41: runtime error: nan is outside the range of
// representable values of type 'signed char'"). Fixed in 959ce66 (the
// loader rejects non-finite norms; quantization defines NaN/Inf); this
// keeps it fixed.
TEST(EngineFix, NanNormWeightNeverReachesTheKernels) {
  const fs::path dir = fs::temp_directory_path() / ("bitgate-fuzz-nan-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "tiny.gguf").string();
  engine::SynthOptions o;
  o.preset = *engine::FindSynthPreset("tiny");
  ASSERT_TRUE(engine::SynthesizeModel(o, path).ok());
  uint64_t at = 0;
  {
    auto file = engine::GgufFile::Open(path);
    ASSERT_TRUE(file.ok());
    const auto* t = file->FindTensor("blk.0.attn_norm.weight");
    ASSERT_NE(t, nullptr);
    at = t->file_offset;
  }
  std::string bytes = ReadAll(path);
  const float nan = std::nanf("");
  std::memcpy(bytes.data() + at, &nan, 4);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  // The loader refuses it, naming the tensor, before any kernel runs.
  auto model = engine::Model::Load(path);
  ASSERT_FALSE(model.ok()) << "a NaN norm weight loaded";
  EXPECT_NE(model.status().message().find("blk.0.attn_norm.weight' element 0 is not finite"), std::string::npos)
      << model.status().message();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bitgate::gates::fuzz
