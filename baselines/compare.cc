#include "baselines/compare.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace bitgate::baselines {
namespace {

using BenchmarkKey = std::tuple<std::string, std::string, std::string>;  // suite, name, params
BenchmarkKey KeyOf(const BenchmarkResult& b) { return {b.suite, b.name, b.params}; }

bool Matches(const std::string& glob, const std::string& text) {
  return fnmatch(glob.c_str(), text.c_str(), 0) == 0;
}

bool BenchmarkMatches(const std::string& glob, const BenchmarkResult& b) {
  return Matches(glob, b.suite + "/" + b.name) || Matches(glob, b.name) || Matches(glob, b.DisplayName());
}

}  // namespace

const char* BaselineSourceName(BaselineSource s) {
  switch (s) {
    case BaselineSource::kMergeBase: return "merge-base";
    case BaselineSource::kExplicitCommit: return "commit";
    case BaselineSource::kExplicitRun: return "run";
    case BaselineSource::kLatestFallback: return "latest-fallback";
    case BaselineSource::kOtherMachine: return "other-machine";
    case BaselineSource::kNone: return "none";
  }
  return "?";
}

Result<BaselineChoice> SelectBaseline(Store& store, const RunRecord& candidate, const BaselineRequest& request) {
  BaselineChoice choice;
  const std::string fingerprint = candidate.machine.Fingerprint();
  // A stored candidate is never its own baseline (a run of the baseline
  // branch compared with "the latest run" of that branch).
  auto without_candidate = [&](std::vector<int64_t> ids) {
    std::erase(ids, candidate.id);
    return ids;
  };
  if (request.run_id) {
    auto run = store.LoadRun(*request.run_id);
    if (!run.ok()) return run.status();
    choice.source = BaselineSource::kExplicitRun;
    choice.run_ids = {*request.run_id};
    choice.commit = run->commit;
    if (run->machine.Fingerprint() != fingerprint) {
      choice.environment_mismatch = true;
      choice.note = "baseline run " + std::to_string(*request.run_id) + " was measured on another machine (" +
                    run->machine.Fingerprint() + " vs " + fingerprint + "): no verdicts";
    }
    return choice;
  }
  // "latest" is the alias users of other tools expect for "the newest runs
  // of the baseline branch".
  const bool want_latest = request.commit && *request.commit == "latest";
  const std::string commit = want_latest ? std::string() : request.commit.value_or(candidate.merge_base);
  // A run of the baseline branch itself (a push, or a re-run of its job):
  // its own commit is a merge base only when asked for
  // (BaselineRequest::same_commit_ok), and the fallback is the newest
  // commit stored before its commit's first run, never its own earlier
  // attempt nor a later commit (which may carry the same regression); an
  // explicit "latest" is the newest other commit.
  // "unknown" (no git) names no commit, so runs without one still find
  // each other.
  const bool own_branch_run = candidate.branch == request.branch && !candidate.commit.empty() &&
                              candidate.commit != "unknown";
  std::optional<std::string> not_commit;
  std::optional<int64_t> before_run;
  bool own_runs_stored = false;
  if (own_branch_run) {
    not_commit = candidate.commit;
    auto own = store.RunsAt(request.branch, candidate.commit, candidate.suite, fingerprint);
    if (!own.ok()) return own.status();
    own_runs_stored = !without_candidate(*own).empty();
    // The cut-off is the commit's first run of all, failed or on another
    // machine too: a re-run after a failed first attempt is still judged
    // against what was stored before that attempt, never a later commit.
    auto first = store.FirstRunAt(request.branch, candidate.commit, candidate.suite);
    if (!first.ok()) return first.status();
    std::vector<int64_t> cut;
    if (*first) cut.push_back(**first);
    if (candidate.id != 0) cut.push_back(candidate.id);
    // An explicit "latest" is the newest other commit, whenever stored.
    if (!cut.empty() && !want_latest) before_run = *std::min_element(cut.begin(), cut.end());
  }
  const bool own_merge_base = own_branch_run && !request.commit && !request.same_commit_ok &&
                              commit == candidate.commit;
  if (!commit.empty() && !own_merge_base) {
    auto ids = store.RunsAt(request.branch, commit, candidate.suite, fingerprint);
    if (!ids.ok()) return ids.status();
    *ids = without_candidate(std::move(*ids));
    if (!ids->empty()) {
      choice.source = request.commit ? BaselineSource::kExplicitCommit : BaselineSource::kMergeBase;
      choice.run_ids = *ids;
      choice.commit = commit;
      return choice;
    }
  }
  auto latest = store.LatestCommit(request.branch, candidate.suite, fingerprint, candidate.id, not_commit, before_run);
  if (!latest.ok()) return latest.status();
  if (*latest) {
    auto ids = store.RunsAt(request.branch, **latest, candidate.suite, fingerprint);
    if (!ids.ok()) return ids.status();
    choice.source = want_latest ? BaselineSource::kExplicitCommit : BaselineSource::kLatestFallback;
    choice.run_ids = without_candidate(std::move(*ids));
    choice.commit = **latest;
    if (want_latest) return choice;
    choice.note = commit.empty()    ? "no merge base given: compared with the latest runs on " + request.branch
                  : own_merge_base ? "the merge base is the candidate's own commit: compared with the latest other "
                                     "commit on " +
                                         request.branch + ", " + (*latest)->substr(0, 12)
                                   : "no runs of " + request.branch + " at " + commit.substr(0, 12) +
                                         " on this machine: compared with the latest, " + (*latest)->substr(0, 12);
    return choice;
  }
  // Never silently across machines: take the other machine's runs only to
  // say what exists, and mark every row INCONCLUSIVE.
  // Other machines only: this machine's runs that the rules above left out
  // (its own commit's) are not "another machine".
  auto other = store.LatestCommit(request.branch, candidate.suite, std::nullopt, candidate.id, std::nullopt,
                                  std::nullopt, fingerprint);
  if (!other.ok()) return other.status();
  if (*other) {
    auto ids = store.RunsAt(request.branch, **other, candidate.suite, std::nullopt);
    if (!ids.ok()) return ids.status();
    auto mine = store.RunsAt(request.branch, **other, candidate.suite, fingerprint);
    if (!mine.ok()) return mine.status();
    std::erase_if(*ids, [&](int64_t id) { return std::find(mine->begin(), mine->end(), id) != mine->end(); });
    choice.source = BaselineSource::kOtherMachine;
    choice.run_ids = without_candidate(std::move(*ids));
    choice.commit = **other;
    choice.environment_mismatch = true;
    choice.note = "runs of " + request.branch + " exist only for other machines (this one is " + fingerprint +
                  "): environment mismatch, no verdicts";
    return choice;
  }
  choice.note = own_runs_stored
                    ? "no baseline: the only runs of suite '" + candidate.suite + "' on " + request.branch +
                          " are of this commit, " + candidate.commit.substr(0, 12) +
                          ", which are its baseline only when --merge-base names it"
                    : "no baseline: no runs of suite '" + candidate.suite + "' on branch " + request.branch +
                          " (import one with: bitgate baseline import)";
  return choice;
}

void ApplyThresholds(const std::vector<Threshold>& thresholds, const std::string& /*suite*/,
                     const BenchmarkResult& benchmark, const std::string& measure, ComparisonInput* input) {
  for (const auto& t : thresholds) {
    if (!BenchmarkMatches(t.benchmark_glob, benchmark) || !Matches(t.measure_glob, measure)) continue;
    if (t.delta) input->delta = t.delta;
    if (t.alpha) input->alpha = t.alpha;
  }
}

std::vector<ComparisonInput> BuildInputs(const RunRecord& candidate, const std::vector<RunRecord>& baselines,
                                         const std::vector<Threshold>& thresholds, bool environment_mismatch,
                                         std::vector<std::string>* notes) {
  struct Pooled {
    std::string version_hash;
    bool version_changed = false;  // differs between baseline runs
    bool failed = false;
    std::map<std::string, const MeasureSamples*> first;  // measure name -> declaration
    // Samples by measure and declaration (unit, direction): runs that
    // declared a measure differently are not one measure.
    std::map<std::string, std::vector<double>> samples;
  };
  const auto declared = [](const std::string& name, const std::string& unit, Direction d) {
    return name + '\x1f' + unit + '\x1f' + (d == Direction::kLowerIsBetter ? "lower" : "higher");
  };
  std::map<BenchmarkKey, Pooled> pooled;
  for (const auto& run : baselines) {
    for (const auto& b : run.benchmarks) {
      auto [it, inserted] = pooled.try_emplace(KeyOf(b));
      Pooled& p = it->second;
      if (inserted) p.version_hash = b.version_hash;
      if (p.version_hash != b.version_hash) p.version_changed = true;
      if (b.status != BenchmarkStatus::kOk) p.failed = true;
      for (const auto& m : b.measures) {
        p.first.try_emplace(m.name, &m);
        auto& dst = p.samples[declared(m.name, m.unit, m.direction)];
        dst.insert(dst.end(), m.samples.begin(), m.samples.end());
      }
    }
  }
  std::vector<ComparisonInput> inputs;
  std::set<BenchmarkKey> seen;
  for (const auto& b : candidate.benchmarks) {
    seen.insert(KeyOf(b));
    auto it = pooled.find(KeyOf(b));
    const Pooled* p = it == pooled.end() ? nullptr : &it->second;
    // The candidate's measures, or the baseline's when the candidate failed
    // (never for a candidate that ran: its samples would be the baseline's).
    std::vector<const MeasureSamples*> measures;
    for (const auto& m : b.measures) measures.push_back(&m);
    if (b.measures.empty() && p && b.status != BenchmarkStatus::kOk)
      for (const auto& [name, decl] : p->first) measures.push_back(decl);
    if (b.measures.empty() && p && b.status == BenchmarkStatus::kOk && notes)
      notes->push_back(b.DisplayName() + ": ran but reported no measures (the baseline has " +
                       std::to_string(p->first.size()) + "): nothing to compare");
    if (measures.empty() && b.status != BenchmarkStatus::kOk) {
      // Failed with nothing to compare against (a new benchmark, a seed
      // run): still one row, so reports show it as not run.
      ComparisonInput in;
      in.benchmark = b.DisplayName();
      in.suite = b.suite;
      in.measure = kNoMeasure;
      in.forced = environment_mismatch ? Reason::kEnvironmentMismatch : Reason::kNotRun;
      in.candidate_error = b.status == BenchmarkStatus::kError;
      inputs.push_back(std::move(in));
      continue;
    }
    for (const MeasureSamples* m : measures) {
      ComparisonInput in;
      in.benchmark = b.DisplayName();
      in.suite = b.suite;
      in.measure = m->name;
      in.unit = m->unit;
      in.direction = m->direction;
      if (b.status == BenchmarkStatus::kOk) in.candidate = m->samples;
      in.candidate_error = b.status == BenchmarkStatus::kError;
      if (p) {
        auto s = p->samples.find(declared(m->name, m->unit, m->direction));
        if (s != p->samples.end()) in.baseline = s->second;
        size_t other_declarations = 0;
        for (const auto& [key, values] : p->samples)
          if (key.rfind(m->name + '\x1f', 0) == 0 && key != declared(m->name, m->unit, m->direction))
            ++other_declarations;
        // A redeclared measure is a different measure: only the baseline
        // runs that declared it as the candidate does are its baseline.
        if (other_declarations > 0 && notes)
          notes->push_back(b.DisplayName() + " " + m->name +
                           (in.baseline.empty() ? ": unit or direction changed"
                                                : ": baseline runs that declared it in another unit or direction "
                                                  "were left out"));
      }
      if (environment_mismatch) {
        in.forced = Reason::kEnvironmentMismatch;
      } else if (b.status != BenchmarkStatus::kOk || (p && p->failed)) {
        in.forced = Reason::kNotRun;
      } else if (p && (p->version_changed || p->version_hash != b.version_hash)) {
        in.forced = Reason::kBenchmarkChanged;
      }
      ApplyThresholds(thresholds, b.suite, b, m->name, &in);
      inputs.push_back(std::move(in));
    }
  }
  int missing = 0;
  for (const auto& [key, p] : pooled) missing += seen.count(key) ? 0 : 1;
  if (missing > 0 && notes)
    notes->push_back(std::to_string(missing) + " baseline benchmark(s) not in the candidate run");
  return inputs;
}

std::string MarkSameBuildDrift(const RunRecord& candidate, const std::vector<RunRecord>& baselines,
                               std::vector<ComparisonRow>* rows) {
  if (candidate.config_hash.empty() || baselines.empty()) return "";
  for (const auto& b : baselines)
    if (b.config_hash != candidate.config_hash) return "";
  int marked = 0;
  const ComparisonRow* largest = nullptr;
  for (auto& row : *rows) {
    if (row.verdict != Verdict::kRegression && row.verdict != Verdict::kImprovement) continue;
    row.verdict = Verdict::kInconclusive;
    row.reason = Reason::kSameBuildDrift;
    row.confirmed = false;
    ++marked;
    if (!largest || std::fabs(std::log(row.ratio)) > std::fabs(std::log(largest->ratio))) largest = &row;
  }
  if (marked == 0) return "";
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "x%.3g", largest->ratio);
  return "the baseline ran the same build (" + candidate.config_hash.substr(0, 12) + "): " + std::to_string(marked) +
         " row(s) that changed measure the machine's drift between the runs, not the code (largest " + ratio + ", " +
         largest->benchmark + " " + largest->measure +
         "); changes of that size cannot be told from drift by runs at different times: A/B mode "
         "(ci/perf-gate) measures both builds in one job";
}

Result<ComparisonReport> CompareWithBaseline(Store& store, const RunRecord& candidate,
                                             const BaselineRequest& request, const VerdictConfig& config) {
  ComparisonReport report;
  report.candidate = candidate;
  report.config = config;
  auto choice = SelectBaseline(store, candidate, request);
  if (!choice.ok()) return choice.status();
  report.baseline = *choice;
  if (!choice->note.empty()) report.notes.push_back(choice->note);
  std::vector<RunRecord> baselines;
  for (int64_t id : choice->run_ids) {
    auto run = store.LoadRun(id);
    if (!run.ok()) return run.status();
    report.baseline_commits.push_back(run->commit);
    baselines.push_back(std::move(*run));
  }
  auto thresholds = store.Thresholds();
  if (!thresholds.ok()) return thresholds.status();
  const auto inputs = BuildInputs(candidate, baselines, *thresholds, choice->environment_mismatch, &report.notes);
  report.rows = CompareAll(inputs, config);
  Status s = FinishJudgement(store, candidate, baselines, &report);
  if (!s.ok()) return s;
  return report;
}

Status FinishJudgement(Store& store, const RunRecord& candidate, const std::vector<RunRecord>& baselines,
                       ComparisonReport* report) {
  if (std::string note = MarkSameBuildDrift(candidate, baselines, &report->rows); !note.empty())
    report->notes.push_back(std::move(note));
  auto annotations = store.Annotations(std::nullopt);
  if (!annotations.ok()) return annotations.status();
  for (auto& row : report->rows) {
    if (row.verdict != Verdict::kRegression) continue;
    for (const auto& a : *annotations) {
      if (a.commit != candidate.commit || candidate.commit.empty()) continue;
      const auto b = std::find_if(candidate.benchmarks.begin(), candidate.benchmarks.end(),
                                  [&](const BenchmarkResult& x) {
                                    return x.suite == row.suite && x.DisplayName() == row.benchmark;
                                  });
      if (b != candidate.benchmarks.end() && BenchmarkMatches(a.benchmark_glob, *b)) {
        row.accepted = true;
        const std::string note = row.benchmark + " " + row.measure + ": regression accepted (" + a.message + ")";
        if (std::find(report->notes.begin(), report->notes.end(), note) == report->notes.end())
          report->notes.push_back(note);  // once, however often the same annotation was stored
      }
    }
  }
  report->summary = Summarize(report->rows);
  return Status::Ok();
}

int ComparisonExitCode(const ComparisonReport& report, bool strict) {
  for (const auto& r : report.rows)
    if (r.candidate_error) return 4;
  if (report.summary.regression - report.summary.accepted_regressions > 0) return 1;
  if (strict && (report.baseline.source == BaselineSource::kNone || report.baseline.environment_mismatch ||
                 report.summary.inconclusive > 0))
    return 3;
  return 0;
}

}  // namespace bitgate::baselines
