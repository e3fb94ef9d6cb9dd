#include "reports/history_report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/base/json.h"
#include "reports/format.h"

namespace bitgate::reports {
namespace {

// Nanoseconds in one `unit`, 0 for a unit that is not a time unit.
double NsPer(const std::string& unit) {
  return unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : 0;
}

// A value stored in `from`, shown in `to` when given (CheckHistoryUnit
// passed) or else as FormatValue scales it.
std::string Show(double value, const std::string& from, const std::string& to) {
  // Asked for a time unit, always that one (FormatValue would scale ns).
  if (to.empty() || (to == from && NsPer(from) == 0)) return FormatValue(value, from);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g %s", value * NsPer(from) / NsPer(to), to.c_str());
  return buf;
}

}  // namespace

Status CheckHistoryUnit(const std::string& measure_unit, const std::string& unit) {
  if (unit.empty() || unit == measure_unit) return Status::Ok();
  if (NsPer(measure_unit) > 0 && NsPer(unit) > 0) return Status::Ok();
  return Status::Error("--unit " + unit + " cannot show a measure stored in '" + measure_unit + "'" +
                       (NsPer(measure_unit) > 0 ? " (time measures take ns, us, ms or s)" : " (only its own unit)"));
}

std::string HistoryMarkdown(const baselines::HistoryReport& h, const std::string& unit_override) {
  const std::string& unit = h.unit;
  const std::string& to = unit_override;
  std::ostringstream out;
  out << "### history: " << MarkdownInline(h.benchmark + " " + h.measure) << " ("
      << baselines::DirectionName(h.direction) << " better) on " << MarkdownInline(h.branch) << " (machine "
      << h.fingerprint << ")\n\n";
  for (const auto& note : h.notes) out << "> " << MarkdownInline(note) << "\n";
  if (!h.notes.empty()) out << "\n";
  if (h.steps.empty()) {
    out << "No change point (" << h.entries.size() << " runs).\n\n";
  } else {
    out << "| step at commit | previous commit | before -> after | ratio | |\n|---|---|---|---|---|\n";
    for (const auto& s : h.steps)
      out << "| " << MarkdownInline(s.commit.substr(0, 12)) << " | " << MarkdownInline(s.previous_commit.substr(0, 12))
          << " | " << MarkdownInline(Show(s.before, unit, to) + " -> " + Show(s.after, unit, to)) << " | " << FormatRatio(s.ratio)
          << " | " << (s.same_build ? "same build on both sides: machine drift" : s.worse ? "worse" : "better")
          << " |\n";
    out << "\n";
  }
  if (std::fabs(h.last_robust_z) > 3.5) {
    char z[32];
    std::snprintf(z, sizeof z, "%.1f", h.last_robust_z);
    out << "> latest run is " << z << " robust z-scores from the previous " << h.last_z_window
        << " runs (slow creep?)\n\n";
  }
  out << "| run | commit | started | n | median | CV | |\n|---|---|---|---|---|---|---|\n";
  size_t next_step = 0;
  for (size_t i = 0; i < h.entries.size(); ++i) {
    const auto& e = h.entries[i];
    std::string mark;
    if (next_step < h.steps.size() && h.steps[next_step].index == i) {
      mark = "step " + FormatRatio(h.steps[next_step].ratio);
      ++next_step;
    }
    if (e.annotated) mark += mark.empty() ? "annotated" : ", annotated";
    out << "| " << e.run_id << " | " << MarkdownInline(e.commit.substr(0, 12)) << " | " << MarkdownInline(e.started_at)
        << " | " << e.n << " | " << MarkdownInline(Show(e.median, unit, to)) << " | " << FormatPercent(e.cv) << " | " << mark << " |\n";
  }
  return out.str();
}

std::string HistoryJson(const baselines::HistoryReport& h) {
  using nlohmann::json;
  json entries = json::array(), steps = json::array();
  for (const auto& e : h.entries)
    entries.push_back({{"run_id", e.run_id}, {"commit", e.commit}, {"started_at", e.started_at}, {"n", e.n},
                       {"median", e.median}, {"cv", e.cv}, {"annotated", e.annotated}});
  for (const auto& s : h.steps)
    steps.push_back({{"index", s.index}, {"commit", s.commit}, {"previous_commit", s.previous_commit},
                     {"before", s.before}, {"after", s.after}, {"ratio", s.ratio}, {"worse", s.worse},
                     {"same_build", s.same_build}});
  json doc = {{"format", "bitgate-history"}, {"version", 1}, {"benchmark", h.benchmark}, {"measure", h.measure},
              {"unit", h.unit}, {"direction", baselines::DirectionName(h.direction)},
              {"branch", h.branch}, {"machine", h.fingerprint}, {"notes", h.notes}, {"change_points", steps},
              {"last_robust_z", h.last_robust_z}, {"runs", entries}};
  return DumpJson(doc) + "\n";
}

}  // namespace bitgate::reports
