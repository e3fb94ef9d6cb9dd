// Number formatting shared by the report writers: durations with a unit
// that keeps 4 significant digits, compact p-values, percentages.
#pragma once

#include <string>

namespace bitgate::reports {

// A value in `unit`; nanosecond values are rescaled ("1.234 us").
std::string FormatValue(double value, const std::string& unit);
// "4e-4", "0.012", "0.23", "1"; the ledger's style.
std::string FormatP(double p);
// 0.0312 -> "3.1%".
std::string FormatPercent(double fraction);
// "x1.054".
std::string FormatRatio(double ratio);

}  // namespace bitgate::reports
