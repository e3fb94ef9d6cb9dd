// Writers for a benchmark's history: a markdown table of runs with the
// detected steps marked, and JSON with the same content.
#pragma once

#include <string>

#include "baselines/history.h"
#include "kernels/base/status.h"

namespace bitgate::reports {

// Values shown in `unit` when given (a measure in ns converts to ns, us,
// ms or s; any other measure takes only its own unit), else in the
// measure's stored unit, scaled for reading.
std::string HistoryMarkdown(const baselines::HistoryReport& history, const std::string& unit = "");
// Whether `unit` can show values of a measure stored in `measure_unit`.
Status CheckHistoryUnit(const std::string& measure_unit, const std::string& unit);
std::string HistoryJson(const baselines::HistoryReport& history);

}  // namespace bitgate::reports
