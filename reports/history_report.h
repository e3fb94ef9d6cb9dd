// Writers for a benchmark's history: a markdown table of runs with the
// detected steps marked, and JSON with the same content.
#pragma once

#include <string>

#include "baselines/history.h"

namespace bitgate::reports {

std::string HistoryMarkdown(const baselines::HistoryReport& history, const std::string& unit);
std::string HistoryJson(const baselines::HistoryReport& history);

}  // namespace bitgate::reports
