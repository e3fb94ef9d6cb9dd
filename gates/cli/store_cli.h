// Helpers shared by the baseline, compare and history verbs: opening the
// store, reading input files, the running machine's fingerprint, and
// parsing thresholds such as "3%".
#pragma once

#include <boost/program_options.hpp>

#include <memory>
#include <string>

#include "baselines/run_record.h"
#include "baselines/store.h"
#include "kernels/base/status.h"

namespace bitgate::cli {

// Opens the store at `path`. With `create`, a missing file (and its parent
// directory) is created; without it (the verbs that only read), a missing
// file is the error "no baseline store at PATH": a mistyped --db must not
// leave an empty store behind that a comparison then passes against.
Result<std::unique_ptr<baselines::Store>> OpenStore(const std::string& path, int busy_timeout_ms, bool create);

Result<std::string> ReadTextFile(const std::string& path);

// The running machine: CPU model and ISA flags (kernels/cpu.h), logical
// cores, OS and architecture, frequency scaling (cpufreq governor other
// than "performance"), host name.
baselines::MachineInfo LiveMachine();

// --min-samples: 2 (the least a rank test needs) to 1000. A larger value
// would make every row INCONCLUSIVE, a gate that cannot fail.
Status CheckMinSamples(int n);

// "3%" -> 0.03, "0.03" -> 0.03; must lie in (0, 1).
Result<double> ParseFraction(const std::string& text, const char* what);

// Reads a result file as "gbench" or "bitgate" into a RunRecord.
struct LoadOptions {
  std::string format = "bitgate";
  std::string suite;
  std::vector<std::string> counters;  // NAME=lower|higher
};
Result<baselines::RunRecord> LoadRunFile(const std::string& path, const LoadOptions& options);

// Process exit codes (docs/EXIT_CODES.md).
inline constexpr int kExitPass = 0;
inline constexpr int kExitRegression = 1;
inline constexpr int kExitError = 2;
inline constexpr int kExitUndecided = 3;

// Prints "bitgate <verb>: error: <message>" and returns kExitError.
int Fail(const char* verb, const std::string& message);

// Runs a verb's body; an option error (unknown option, bad value) becomes
// Fail with a pointer to "bitgate <verb> --help".
int RunGuarded(const char* verb, int (*run)(int, char**), int argc, char** argv);

// argv parsed against `desc` with no positional arguments: a stray word is
// a usage error (Boost's parse_command_line dropped it silently).
boost::program_options::parsed_options ParseOptionsOnly(int argc, char** argv,
                                                        const boost::program_options::options_description& desc);

}  // namespace bitgate::cli
