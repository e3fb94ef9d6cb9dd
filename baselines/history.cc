#include "baselines/history.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>

#include "baselines/stats.h"

namespace bitgate::baselines {

Result<HistoryReport> BuildHistory(Store& store, const std::string& benchmark, const std::string& measure,
                                   const std::string& branch, const std::optional<std::string>& fingerprint,
                                   const ChangePointOptions& options) {
  HistoryReport report;
  report.benchmark = benchmark;
  report.measure = measure;
  report.branch = branch;
  auto points = store.History(benchmark, measure, branch);
  if (!points.ok()) return points.status();
  if (points->empty())
    return Status::Error("no samples of '" + benchmark + "' measure '" + measure + "' on branch " + branch);
  std::map<std::string, int> per_machine;
  for (const auto& p : *points) ++per_machine[p.fingerprint];
  if (fingerprint) {
    report.fingerprint = *fingerprint;
    if (!per_machine.count(*fingerprint))
      return Status::Error("no runs of '" + benchmark + "' on machine " + *fingerprint + " on branch " + branch);
  } else {
    int most = -1;
    for (const auto& [fp, count] : per_machine)
      if (count > most) {
        most = count;
        report.fingerprint = fp;
      }
    if (per_machine.size() > 1)
      report.notes.push_back(std::to_string(per_machine.size()) + " machines ran this benchmark; showing " +
                             report.fingerprint + " (" + std::to_string(most) + " runs; choose with --machine)");
  }
  auto annotations = store.Annotations(branch);
  if (!annotations.ok()) return annotations.status();
  // A new version hash is a new benchmark (docs/SCHEMA.md): the series is
  // the newest version's runs, so a change to the benchmark's own code is
  // never shown as a change point or creep blamed on a commit.
  std::string version, unit;
  Direction direction = Direction::kLowerIsBetter;
  for (const auto& p : *points)
    if (p.fingerprint == report.fingerprint) version = p.version_hash;
  // The series is in the newest run's unit and direction: a measure that
  // changed either (us -> ns, or which way is better) would show a false
  // change point, and a reversed "worse".
  for (const auto& p : *points)
    if (p.fingerprint == report.fingerprint && p.version_hash == version) {
      unit = p.unit;
      direction = p.direction;
    }
  int other_units = 0;
  for (const auto& p : *points)
    if (p.fingerprint == report.fingerprint && p.version_hash == version &&
        (p.unit != unit || p.direction != direction))
      ++other_units;
  if (other_units > 0)
    report.notes.push_back(std::to_string(other_units) + " run(s) that recorded the measure in another unit or "
                           "direction are not in the series, which follows the newest run's (" + unit + ")");
  int other_versions = 0;
  for (const auto& p : *points)
    if (p.fingerprint == report.fingerprint && p.version_hash != version) ++other_versions;
  if (other_versions > 0)
    report.notes.push_back(std::to_string(other_versions) +
                           " run(s) of other versions of the benchmark (version hash) are not in the series, "
                           "which follows the newest version");
  std::vector<double> medians;
  for (const auto& p : *points) {
    if (p.fingerprint != report.fingerprint || p.version_hash != version || p.unit != unit ||
        p.direction != direction)
      continue;
    report.direction = p.direction;
    report.unit = p.unit;
    HistoryEntry e;
    e.run_id = p.run_id;
    e.commit = p.commit;
    e.started_at = p.started_at;
    e.n = static_cast<int>(p.samples.size());
    e.median = Median(p.samples);
    e.cv = Cv(p.samples);
    e.config_hash = p.config_hash;
    // The forms compare matches an annotation's glob against.
    const std::string display = p.params.empty() ? p.name : p.name + " [" + p.params + "]";
    const auto matches = [&](const std::string& glob) {
      return fnmatch(glob.c_str(), (p.suite + "/" + p.name).c_str(), 0) == 0 ||
             fnmatch(glob.c_str(), p.name.c_str(), 0) == 0 || fnmatch(glob.c_str(), display.c_str(), 0) == 0;
    };
    for (const auto& a : *annotations)
      if (a.commit == p.commit && matches(a.benchmark_glob)) e.annotated = true;
    medians.push_back(e.median);
    report.entries.push_back(std::move(e));
  }
  for (const auto& cp : DetectChangePoints(medians, options)) {
    HistoryStep step;
    step.index = cp.index;
    step.commit = report.entries[cp.index].commit;
    step.previous_commit = report.entries[cp.index - 1].commit;
    step.before = cp.before;
    step.after = cp.after;
    step.ratio = cp.ratio;
    const HistoryEntry& before = report.entries[cp.index - 1];
    const HistoryEntry& after = report.entries[cp.index];
    // ("unknown", the commit of runs without git, names no build.)
    const bool same_commit = before.commit == after.commit && !before.commit.empty() && before.commit != "unknown";
    step.same_build = same_commit || (!before.config_hash.empty() && before.config_hash == after.config_hash);
    step.worse = !step.same_build &&
                 (report.direction == Direction::kLowerIsBetter ? cp.ratio > 1.0 : cp.ratio < 1.0);
    report.steps.push_back(std::move(step));
  }
  // Creep is judged within the current level: after the last step a commit
  // made, or after the last accepted (annotated) change, which resets the
  // baseline.
  size_t start = 0;
  for (const auto& step : report.steps)
    if (!step.same_build) start = step.index;
  for (size_t i = 0; i < report.entries.size(); ++i)
    if (report.entries[i].annotated && i > start) start = i;
  constexpr int kCreepWindow = 20;
  const std::span<const double> level = std::span<const double>(medians).subspan(start);
  report.last_robust_z = LastPointRobustZ(level, kCreepWindow);
  report.last_z_window = std::min<int64_t>(kCreepWindow, static_cast<int64_t>(level.size()) - 1);
  return report;
}

}  // namespace bitgate::baselines
