// Writers for a benchmark's history: a markdown table of runs with the
// detected steps marked, and JSON with the same content.
#pragma once

#include <string>

#include "baselines/history.h"

namespace bitgate::reports {

// Values shown in `unit` when given, else in the measure's stored unit.
std::string HistoryMarkdown(const baselines::HistoryReport& history, const std::string& unit = "");
std::string HistoryJson(const baselines::HistoryReport& history);

}  // namespace bitgate::reports
