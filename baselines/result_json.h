// bitgate's own result JSON ("bitgate-result", version 1): run metadata,
// the machine, and per benchmark its measures with declared direction and
// raw samples. The gates write it; `bitgate baseline import --format
// bitgate` and `bitgate compare --candidate-file` read it. Specified in
// docs/SCHEMA.md.
#pragma once

#include <string>
#include <string_view>

#include "baselines/run_record.h"
#include "kernels/base/status.h"

namespace bitgate::baselines {

inline constexpr int kResultFormatVersion = 1;

Result<RunRecord> ParseResultJson(std::string_view text, std::string_view source);

// Pretty-printed JSON that ParseResultJson reads back to an equal record.
std::string WriteResultJson(const RunRecord& run);

}  // namespace bitgate::baselines
