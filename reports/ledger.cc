// Building the ledger from the store (rendering: ledger_markdown.cc,
// ledger_formats.cc).
#include "reports/ledger.h"

#include <string_view>

#include "reports/format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "baselines/stats.h"

namespace bitgate::reports {

using baselines::ComparisonReport;
using baselines::ComparisonRow;
using baselines::Verdict;

namespace {

constexpr size_t kMaxTrendSeries = 4;
constexpr size_t kMaxTrendPoints = 12;

baselines::BaselineSource SourceFromName(const std::string& name) {
  using baselines::BaselineSource;
  for (BaselineSource s : {BaselineSource::kMergeBase, BaselineSource::kExplicitCommit,
                           BaselineSource::kExplicitRun, BaselineSource::kLatestFallback,
                           BaselineSource::kOtherMachine, BaselineSource::kNone})
    if (name == baselines::BaselineSourceName(s)) return s;
  // "ab": one run measured in the same job, named explicitly.
  return name == "ab" ? BaselineSource::kExplicitRun : BaselineSource::kNone;
}

// How much a row moved, for picking trend series: |log ratio| of changed rows.
double Movement(const ComparisonRow& r) {
  return r.ratio > 0 && std::isfinite(r.ratio) ? std::fabs(std::log(r.ratio)) : 0;
}

std::string ShortSha(const std::string& sha) { return sha.substr(0, 7); }

// Key rows of a comparison for the trend charts: decode and prefill speed
// when present, then the rows that moved most.
std::vector<const ComparisonRow*> KeyRows(const ComparisonReport& c) {
  std::vector<const ComparisonRow*> keys;
  for (const auto& r : c.rows)
    if ((r.benchmark.rfind("generate/decode", 0) == 0 || r.benchmark.rfind("generate/prefill", 0) == 0) &&
        r.n_candidate > 0)
      keys.push_back(&r);
  std::vector<const ComparisonRow*> moved;
  for (const auto& r : c.rows)
    if ((r.verdict == Verdict::kRegression || r.verdict == Verdict::kImprovement) && r.n_candidate > 0)
      moved.push_back(&r);
  std::sort(moved.begin(), moved.end(), [](auto* a, auto* b) { return Movement(*a) > Movement(*b); });
  for (auto* r : moved)
    if (std::find(keys.begin(), keys.end(), r) == keys.end()) keys.push_back(r);
  if (keys.empty()) {
    // Nothing moved and no engine rows: the first kernel time row.
    for (const auto& r : c.rows)
      if (r.n_candidate > 0) {
        keys.push_back(&r);
        break;
      }
  }
  if (keys.size() > kMaxTrendSeries) keys.resize(kMaxTrendSeries);
  return keys;
}

// The ledger's first `room` bytes (cut at a line end), with the code fence
// and <details> blocks the cut leaves open closed.
std::string CutAndClose(const std::string& ledger_md, size_t room) {
  const size_t cut = room == 0 ? std::string::npos : ledger_md.rfind('\n', room - 1);
  std::string kept = cut == std::string::npos ? std::string() : ledger_md.substr(0, cut + 1);
  int open_details = 0;
  // The open code fence's length (0: none). As in CommonMark, a fence of N
  // backticks closes only on a line of N or more backticks alone; a longer
  // fence (MarkdownFence, around output that holds ``` lines) stays open
  // across shorter ones.
  size_t fence = 0;
  for (size_t at = 0; at < kept.size();) {
    const size_t end = kept.find('\n', at);
    const std::string_view line(kept.data() + at, (end == std::string::npos ? kept.size() : end) - at);
    const size_t ticks = std::min(line.size(), line.find_first_not_of('`'));
    if (fence == 0 && ticks >= 3) {
      fence = ticks;
    } else if (fence > 0 && ticks >= fence && line.find_first_not_of(' ', ticks) == std::string_view::npos) {
      fence = 0;
    } else if (fence == 0 && line.find("<details>") != std::string_view::npos) {
      ++open_details;
    } else if (fence == 0 && line.find("</details>") != std::string_view::npos && open_details > 0) {
      --open_details;
    }
    at = end == std::string::npos ? kept.size() : end + 1;
  }
  if (fence > 0) kept += std::string(fence, '`') + "\n";
  for (int i = 0; i < open_details && i < 8; ++i) kept += "\n</details>\n";
  return kept;
}
}  // namespace

std::string JobSummaryText(const std::string& ledger_md, const std::string& full_path, size_t limit) {
  return CutLedgerText(ledger_md, limit,
                       "> the ledger is longer than a GitHub job summary takes: the full ledger is " +
                           MarkdownInline(full_path));
}

std::string CutLedgerText(const std::string& ledger_md, size_t limit, const std::string& note_line) {
  if (ledger_md.size() <= limit) return ledger_md;
  const std::string note = "\n" + note_line + "\n";
  if (note.size() > limit) return "";
  // Room for the note and for closing what the cut leaves open (a code
  // fence, <details> blocks), so the note is neither code nor folded away.
  // The closers are usually within 256 bytes; a fence longer than that (an
  // output tail with a long backtick run) makes the cut shorter again.
  const size_t room = limit - note.size();
  for (size_t reserve = 256;; reserve *= 2) {
    const size_t r = room > reserve ? room - reserve : 0;
    const std::string kept = CutAndClose(ledger_md, r);
    if (kept.size() <= room) return kept + note;
    if (r == 0) return "";
  }
}


std::string LedgerState(int exit_code) {
  switch (exit_code) {
    case 0: return "PASS";
    case 1: return "REGRESSION";
    case 3: return "UNDECIDED";
    case 4: return "CORRECTNESS FAILURE";
    default: return "ERROR";
  }
}

namespace {
// A value inside the marker comment: bytes that could end the comment
// ("-->"), split the key=value list or break the line are %XX-encoded.
std::string MarkerValue(const std::string& s) {
  std::string out;
  char prev = 0;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = std::isalnum(u) || c == '.' || c == '_' || c == '/' || c == '+' || (c == '-' && prev != '-');
    if (plain) {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
    prev = c;
  }
  return out;
}
}  // namespace

std::string LedgerMarker(const Ledger& l) {
  return "<!-- bitgate-ledger:v1 branch=" + MarkerValue(l.pipeline.branch) + " commit=" + MarkerValue(l.pipeline.commit) +
         " pipeline=" + std::to_string(l.pipeline.id) + " state=" + LedgerState(l.pipeline.exit_code) + " -->";
}

Result<ComparisonReport> RejudgeStoredRun(baselines::Store& store, const GateOutcome& outcome) {
  auto candidate = store.LoadRun(outcome.run_id);
  if (!candidate.ok()) return candidate.status();
  ComparisonReport report;
  report.config.delta = outcome.delta;
  report.config.alpha = outcome.alpha;
  report.config.seed = outcome.seed;
  report.config.min_samples = outcome.min_samples;
  report.config.cv_ceiling = outcome.cv_ceiling;
  report.baseline.source = SourceFromName(outcome.baseline_source);
  report.baseline.run_ids = outcome.baseline_run_ids;
  report.baseline.note = outcome.baseline_note;
  report.baseline.environment_mismatch = report.baseline.source == baselines::BaselineSource::kOtherMachine;
  if (!outcome.baseline_note.empty()) report.notes.push_back(outcome.baseline_note);
  std::vector<baselines::RunRecord> bases;
  for (int64_t id : outcome.baseline_run_ids) {
    auto run = store.LoadRun(id);
    if (!run.ok()) return run.status().WithContext("baseline of run " + std::to_string(outcome.run_id));
    report.baseline_commits.push_back(run->commit);
    if (report.baseline.commit.empty()) report.baseline.commit = run->commit;
    bases.push_back(std::move(*run));
  }
  auto thresholds = store.Thresholds();
  if (!thresholds.ok()) return thresholds.status();
  const auto inputs =
      baselines::BuildInputs(*candidate, bases, *thresholds, report.baseline.environment_mismatch, &report.notes);
  report.rows = baselines::CompareAll(inputs, report.config);
  Status s = baselines::FinishJudgement(store, *candidate, bases, &report);
  if (!s.ok()) return s;
  report.candidate = std::move(*candidate);
  return report;
}

Ledger BuildLedger(baselines::Store* store, const PipelineRecord& record) {
  Ledger l;
  l.pipeline = record;
  if (!store) l.notes.push_back("the baseline store could not be opened: gate details are missing");
  for (const auto& g : record.gates) {
    GateLedger gl;
    gl.gate = g;
    if (store && g.run_id > 0) {
      auto outcome = LoadGateOutcome(*store, g.run_id);
      if (!outcome.ok()) {
        l.notes.push_back(g.gate + ": " + outcome.status().message());
      } else {
        gl.outcome = *outcome;
        auto c = RejudgeStoredRun(*store, *outcome);
        if (!c.ok()) {
          l.notes.push_back(g.gate + ": " + c.status().message());
        } else {
          if (!l.machine) l.machine = c->candidate.machine;
          if (!l.baseline_machine && !c->baseline.run_ids.empty()) {
            auto b = store->LoadRun(c->baseline.run_ids.front());
            if (b.ok()) l.baseline_machine = b->machine;
          }
          gl.comparison = std::move(*c);
        }
      }
    }
    l.gates.push_back(std::move(gl));
  }
  if (!store) return l;
  // Trends: key rows of each gate over the baseline branch's runs on this
  // machine, medians of the stored samples.
  for (const auto& gl : l.gates) {
    if (!gl.comparison || l.trends.size() >= kMaxTrendSeries) continue;
    const auto& c = *gl.comparison;
    const std::string fingerprint = c.candidate.machine.Fingerprint();
    for (const ComparisonRow* row : KeyRows(c)) {
      if (l.trends.size() >= kMaxTrendSeries) break;
      // Qualified by the candidate's suite: a bare name may name benchmarks
      // of other suites too, and History refuses to pool them.
      std::string qualified = row->benchmark;
      for (const auto& b : c.candidate.benchmarks)
        if (b.DisplayName() == row->benchmark) qualified = b.suite + "/" + row->benchmark;
      auto history = store->History(qualified, row->measure, record.baseline_branch);
      if (!history.ok()) {
        l.notes.push_back("trend of " + row->benchmark + ": " + history.status().message());
        continue;
      }
      // An A/B baseline run is stored on "<baseline branch>@ab", outside
      // the branch's history: its point joins this chart (and no other).
      if (auto ab = store->History(qualified, row->measure, record.baseline_branch + "@ab"); ab.ok()) {
        for (auto& p : *ab)
          if (std::find(c.baseline.run_ids.begin(), c.baseline.run_ids.end(), p.run_id) != c.baseline.run_ids.end())
            history->push_back(std::move(p));
        std::stable_sort(history->begin(), history->end(),
                         [](const auto& a, const auto& b) { return a.run_id < b.run_id; });
      }
      TrendSeries s{row->benchmark, row->measure, row->unit, {}};
      for (const auto& p : *history) {
        // Runs stored after this one are not its history (and would make a
        // later re-render differ from what the pipeline wrote).
        const bool later = p.run_id >= c.candidate.id && std::find(c.baseline.run_ids.begin(), c.baseline.run_ids.end(),
                                                                   p.run_id) == c.baseline.run_ids.end();
        if (p.fingerprint != fingerprint || p.samples.empty() || later) continue;
        s.points.push_back({ShortSha(p.commit) + " #" + std::to_string(p.run_id), baselines::Median(p.samples),
                            static_cast<int>(p.samples.size())});
      }
      if (s.points.size() > kMaxTrendPoints - 1)
        s.points.erase(s.points.begin(), s.points.end() - static_cast<long>(kMaxTrendPoints - 1));
      for (const auto& b : c.candidate.benchmarks) {
        if (b.DisplayName() != row->benchmark) continue;
        for (const auto& m : b.measures)
          if (m.name == row->measure && !m.samples.empty())
            s.points.push_back({"this run " + ShortSha(c.candidate.commit), baselines::Median(m.samples),
                                static_cast<int>(m.samples.size())});
      }
      if (!s.points.empty()) l.trends.push_back(std::move(s));
    }
  }
  return l;
}

}  // namespace bitgate::reports
