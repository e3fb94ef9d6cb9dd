// Google Benchmark JSON (--benchmark_format=json / --benchmark_out) into a
// RunRecord: the `iteration` rows only (aggregates are recomputed from raw
// repetitions, never trusted), times normalised to nanoseconds.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "baselines/run_record.h"
#include "kernels/base/status.h"

namespace bitgate::baselines {

struct GbenchOptions {
  std::string suite;  // default: the executable's file name from the context
  // Directions of user counters other than items_per_second and
  // bytes_per_second (which Google Benchmark defines as rates: higher is
  // better). Undeclared counters are not imported: a direction is declared,
  // never guessed from a name.
  std::map<std::string, Direction> counter_directions;
  MachineInfo live_machine;  // the running machine: CPU model, flags, OS
};

struct IngestReport {
  int iteration_rows = 0;
  int aggregate_rows_skipped = 0;
  std::vector<std::string> warnings;  // e.g. counters without a direction
};

// `source` names the input in error messages (a file name).
Result<RunRecord> ParseGbenchJson(std::string_view text, std::string_view source,
                                  const GbenchOptions& options, IngestReport* report);

}  // namespace bitgate::baselines
