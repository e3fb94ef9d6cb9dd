// ledger.md: the layout is described in ledger.h and docs/GATES.md.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "baselines/stats.h"
#include "reports/comparison_report.h"
#include "reports/format.h"
#include "reports/gate_report.h"
#include "reports/ledger.h"

namespace bitgate::reports {

using baselines::ComparisonRow;
using baselines::Reason;
using baselines::Verdict;

namespace {

std::string Short(const std::string& sha) { return sha.substr(0, 7); }

// Lower sorts first: the worst rows lead every table.
int Severity(const ComparisonRow& r) {
  if (r.verdict == Verdict::kRegression) return r.accepted ? 1 : 0;
  if (r.verdict == Verdict::kInconclusive) return 2;
  if (r.verdict == Verdict::kImprovement) return 3;
  return 4;
}

std::vector<const ComparisonRow*> WorstFirst(const std::vector<ComparisonRow>& rows) {
  std::vector<const ComparisonRow*> out;
  for (const auto& r : rows) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const ComparisonRow* a, const ComparisonRow* b) {
    if (Severity(*a) != Severity(*b)) return Severity(*a) < Severity(*b);
    return a->ratio > b->ratio;
  });
  return out;
}

const char* kRowHeader =
    "| benchmark | measure | baseline -> candidate | ratio [interval] | p, q | n | threshold | noise | verdict |\n"
    "|---|---|---|---|---|---|---|---|---|\n";

std::string Cell(const std::string& s) { return MarkdownInline(s); }

// How to re-run a gate that produced no verdict: the command the pipeline
// ran it with (its "start <gate>: ..." hop, already shell-quoted), so the
// store, branch, commit and model are the pipeline's own.
std::string RerunAdvice(const Ledger& l, const std::string& gate) {
  const std::string prefix = "start " + gate + ": ";
  for (const auto& h : l.pipeline.hops)
    if (h.event.compare(0, prefix.size(), prefix) == 0)
      return "re-run the gate alone and read its output: " + MarkdownCode(h.event.substr(prefix.size()));
  return "re-run the gate alone and read its output (the pipeline's log has no command for it)";
}

// Text inside raw HTML (a <summary>), where markdown escapes show as
// written: '&' and '<' as entities, line breaks as spaces.
std::string HtmlText(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

struct Counts {
  int gates = 0, pass = 0, regression = 0, error = 0, undecided = 0, correctness = 0, crashed = 0, timeout = 0,
      missing = 0;
  int rows = 0, row_regression = 0, row_confirmed = 0, row_accepted = 0, row_improvement = 0, row_pass = 0,
      row_inconclusive = 0;
  int slos = 0, slo_pass = 0, slo_fail = 0, slo_skipped = 0;
  int correctness_failures = 0;
};

Counts Count(const Ledger& l) {
  Counts c;
  for (const auto& g : l.gates) {
    ++c.gates;
    switch (g.gate.status) {
      case GateStatus::kPass: ++c.pass; break;
      case GateStatus::kRegression: ++c.regression; break;
      case GateStatus::kError: ++c.error; break;
      case GateStatus::kUndecided: ++c.undecided; break;
      case GateStatus::kCorrectness: ++c.correctness; break;
      case GateStatus::kCrashed: ++c.crashed; break;
      case GateStatus::kTimeout: ++c.timeout; break;
      case GateStatus::kMissing: ++c.missing; break;
    }
    if (g.comparison) {
      const auto& s = g.comparison->summary;
      c.rows += static_cast<int>(g.comparison->rows.size());
      // Accepted regressions (an annotation on the commit) do not fail the
      // gate: counted apart, as JUnit and the Decision treat them.
      c.row_regression += s.regression - s.accepted_regressions;
      c.row_accepted += s.accepted_regressions;
      for (const auto& r : g.comparison->rows)
        c.row_confirmed += r.verdict == Verdict::kRegression && r.confirmed && !r.accepted;
      c.row_improvement += s.improvement;
      c.row_pass += s.pass;
      c.row_inconclusive += s.inconclusive;
    }
    if (g.outcome) {
      for (const auto& slo : g.outcome->slos) {
        ++c.slos;
        if (slo.skipped) ++c.slo_skipped;
        else if (slo.passed) ++c.slo_pass;
        else ++c.slo_fail;
      }
      c.correctness_failures += static_cast<int>(g.outcome->correctness_failures.size());
    }
    // A receipt that does not re-verify is a correctness failure of the
    // gate (verb_pipeline.cc), counted with the gate's own unless the gate
    // already named that receipt (its path leads each message).
    for (const auto& f : g.gate.receipt_failures) {
      const std::string path = f.substr(0, f.find(':'));
      const bool named = g.outcome && std::any_of(g.outcome->correctness_failures.begin(),
                                                  g.outcome->correctness_failures.end(),
                                                  [&](const std::string& own) { return own.find(path) != std::string::npos; });
      c.correctness_failures += named ? 0 : 1;
    }
  }
  return c;
}

std::string GateCounts(const Counts& c) {
  std::ostringstream out;
  out << c.gates << " gate" << (c.gates == 1 ? "" : "s") << " (";
  bool first = true;
  auto add = [&](int n, const char* what) {
    if (!n) return;
    out << (first ? "" : ", ") << n << " " << what;
    first = false;
  };
  add(c.pass, "pass");
  add(c.regression, "regression");
  add(c.correctness, "correctness failure");
  add(c.undecided, "undecided");
  add(c.error, "error");
  add(c.crashed, "crashed");
  add(c.timeout, "timed out");
  add(c.missing, "missing");
  out << ")";
  return out.str();
}

std::string Evidence(const GateLedger& g) {
  std::ostringstream out;
  const auto& pg = g.gate;
  out << pg.process;
  if (pg.seconds > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ", %.1f s", pg.seconds);
    out << buf;
  }
  if (pg.status == GateStatus::kMissing) return out.str();
  if (g.comparison) {
    const auto& c = *g.comparison;
    const auto& s = c.summary;
    out << "; run " << c.candidate.id << " vs ";
    if (c.baseline.run_ids.empty()) {
      out << "no baseline (seeded)";
    } else {
      out << "run";
      for (size_t i = 0; i < c.baseline.run_ids.size(); ++i) out << (i ? "," : " ") << c.baseline.run_ids[i];
      out << " (" << (g.outcome && g.outcome->baseline_source == "ab" ? "A/B" : baselines::BaselineSourceName(c.baseline.source))
          << ")";
    }
    out << "; " << c.rows.size() << " rows: " << s.regression - s.accepted_regressions << " REGRESSION, ";
    if (s.accepted_regressions) out << s.accepted_regressions << " accepted, ";
    out << s.improvement << " IMPROVEMENT, " << s.pass << " PASS, " << s.inconclusive << " INCONCLUSIVE";
  } else if (pg.run_id == 0) {
    out << "; no run stored";
  }
  if (pg.receipts_verified > 0 || !pg.receipt_failures.empty())
    out << "; receipts re-verified by the pipeline: " << pg.receipts_verified << " ok, "
        << pg.receipt_failures.size() << " failed";
  if (g.outcome) {
    if (!g.outcome->correctness_failures.empty())
      out << "; " << g.outcome->correctness_failures.size() << " correctness failure(s)";
    int judged = 0, ok = 0, skipped = 0;
    for (const auto& slo : g.outcome->slos) {
      skipped += slo.skipped;
      judged += !slo.skipped;
      ok += !slo.skipped && slo.passed;
    }
    if (judged) out << "; SLOs " << ok << "/" << judged << " ok";
    if (skipped) out << (judged ? ", " : "; SLOs: ") << skipped << " skipped";
    if (!g.outcome->error.empty()) out << "; error: " << g.outcome->error;
  }
  return Cell(out.str());
}

void Decision(std::ostringstream& out, const Ledger& l, const Counts& c) {
  std::vector<std::string> why, next, blocking;
  for (const auto& g : l.gates) {
    const std::string& name = g.gate.gate;
    const size_t blocking_before = blocking.size(), why_before = why.size();
    switch (g.gate.status) {
      case GateStatus::kMissing:
        why.push_back(name + ": no gate executable (" + g.gate.process + ")");
        next.push_back("build bitgate-" + name + " (`cmake --build <build> --target bitgate-" + name +
                       "`) or leave it out with `--gates`");
        blocking.push_back(name + " did not run");
        break;
      case GateStatus::kCrashed:
      case GateStatus::kTimeout:
      case GateStatus::kError:
        why.push_back(name + ": " + GateStatusName(g.gate.status) + " (" + g.gate.process + ")" +
                      (g.outcome && !g.outcome->error.empty() ? ": " + g.outcome->error : ""));
        next.push_back(RerunAdvice(l, name));
        blocking.push_back(name + " produced no verdict");
        break;
      default: break;
    }
    for (const auto& f : g.gate.receipt_failures) {
      why.push_back(name + ": receipt: " + f);
      blocking.push_back(name + ": " + f);
    }
    if (g.outcome)
      for (const auto& f : g.outcome->correctness_failures) {
        why.push_back(name + ": correctness: " + f);
        blocking.push_back(name + ": " + f);
      }
    if (g.outcome)
      for (const auto& slo : g.outcome->slos)
        if (!slo.skipped && !slo.passed) {
          why.push_back(name + ": SLO \"" + slo.name + "\" missed: " + FormatValueBeside(slo.value, slo.target, slo.unit) +
                        " " + slo.op + " " + FormatValue(slo.target, slo.unit) + " does not hold");
          blocking.push_back(name + ": SLO " + slo.name);
        }
    if (g.comparison) {
      int listed = 0;
      for (const auto* r : WorstFirst(g.comparison->rows)) {
        if (r->verdict != Verdict::kRegression || r->accepted) continue;
        if (listed++ < 5) {
          std::string ratio = "x";  // (appended: "x" + string trips GCC 12's -Wrestrict)
          ratio += RatioBesideThresholds(*r, r->ratio);
          why.push_back(name + ": " + r->benchmark + " " + r->measure + " " + ratio + " (" + VerdictText(*r) + ")");
          blocking.push_back(name + ": " + r->benchmark + " " + r->measure);
        }
      }
      if (listed > 5) why.push_back(name + ": and " + std::to_string(listed - 5) + " more REGRESSION rows");
      if (listed > 0)
        next.push_back("if the slowdown is intended, accept it: " +
                       MarkdownCode("bitgate baseline annotate " +
                                    (l.pipeline.db == baselines::kDefaultDbPath ? std::string()
                                                                                : "--db " + ShellWord(l.pipeline.db) + " ") +
                                    "--branch " + ShellWord(l.pipeline.branch) +
                                    " --commit " + ShellWord(l.pipeline.commit) +
                                    " --benchmark 'GLOB' --message 'why'") +
                       ", then re-run");
      if (g.comparison->baseline.run_ids.empty())
        why.push_back(name + ": no baseline yet; this run seeds it" +
                      std::string(l.pipeline.strict ? " (strict: undecided)" : ""));
    }
    // A failing status that nothing above explains (an outcome that could
    // not be read back, INCONCLUSIVE rows under --strict) still says so.
    const GateStatus st = g.gate.status;
    if (st == GateStatus::kRegression || st == GateStatus::kCorrectness || st == GateStatus::kUndecided) {
      if (blocking.size() == blocking_before) blocking.push_back(name + ": " + GateStatusName(st));
      if (why.size() == why_before || st == GateStatus::kUndecided) {
        std::map<std::string, int> reasons;
        if (g.comparison)
          for (const auto& r : g.comparison->rows)
            if (r.verdict == Verdict::kInconclusive) ++reasons[baselines::ReasonName(r.reason)];
        std::string detail;
        for (const auto& [reason, n] : reasons)
          detail += (detail.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
        if (st == GateStatus::kUndecided)
          why.push_back(name + ": undecided (exit 3)" + (detail.empty() ? "" : ": INCONCLUSIVE rows: " + detail));
        else
          why.push_back(name + ": " + GateStatusName(st) + " (" + g.gate.process +
                        ") with no row, SLO or failure on record to show for it" +
                        (g.outcome ? "" : " (its outcome was not read back)"));
      }
    }
  }
  if (c.row_inconclusive > 0)
    next.push_back("INCONCLUSIVE rows state their reason; under-powered ones say how many samples would decide "
                   "(raise the gate's --repetitions), noisy ones need a quieter machine or A/B mode");
  if (why.empty()) why.push_back("every gate passed; no verdict row regressed");
  if (next.empty()) next.push_back("nothing to do");
  out << "### Decision\n\n";
  out << "- **state:** " << LedgerState(l.pipeline.exit_code) << " (exit " << l.pipeline.exit_code << ")\n";
  out << "- **why:**\n";
  for (const auto& w : why) out << "  - " << Cell(w) << "\n";
  out << "- **next steps:**\n";
  // List items, not table cells: a '|' needs no escape (inside the code
  // span of a suggested command it would show), only line breaks go.
  for (const auto& n : next) out << "  - " << MarkdownLine(n) << "\n";
  out << "- **blocking:**" << (blocking.empty() ? " none" : "") << "\n";
  for (const auto& b : blocking) out << "  - " << Cell(b) << "\n";
  out << "\n";
}

void Quality(std::ostringstream& out, const Ledger& l) {
  out << "### Measurement quality\n\n";
  out << "| gate | rows | samples/side (median) | median CV base/cand | rows with outliers | bimodal | noisy | "
         "under-powered | median MDE |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& g : l.gates) {
    if (!g.comparison || g.comparison->rows.empty()) continue;
    std::vector<double> nb, nc, cvb, cvc, mde;
    int outliers = 0, bimodal = 0, noisy = 0, under = 0;
    for (const auto& r : g.comparison->rows) {
      if (r.n_candidate > 0) {
        nc.push_back(r.n_candidate);
        cvc.push_back(r.cv_candidate);
      }
      if (r.n_baseline > 0) {
        nb.push_back(r.n_baseline);
        cvb.push_back(r.cv_baseline);
      }
      if (r.has_test && r.mde > 0) mde.push_back(r.mde);
      outliers += (r.mild_baseline + r.severe_baseline + r.mild_candidate + r.severe_candidate) > 0;
      bimodal += r.bimodal;
      noisy += r.reason == Reason::kNoisy;
      under += r.reason == Reason::kUnderPowered;
    }
    auto med = [](std::vector<double>& v) { return v.empty() ? NAN : baselines::Median(v); };
    auto pct = [](double v) { return std::isnan(v) ? std::string("-") : FormatPercent(v); };
    char n[64];
    std::snprintf(n, sizeof n, "%s/%s", nb.empty() ? "-" : FormatValue(med(nb), "").c_str(),
                  nc.empty() ? "-" : FormatValue(med(nc), "").c_str());
    out << "| " << Cell(g.gate.gate) << " | " << g.comparison->rows.size() << " | " << n << " | " << pct(med(cvb)) << "/"
        << pct(med(cvc)) << " | " << outliers << " | " << bimodal << " | " << noisy << " | " << under << " | "
        << pct(med(mde)) << " |\n";
  }
  out << "\nMDE: the smallest relative change a row can detect at its alpha with 80% power, "
         "(z(1-alpha/2) + z(0.8)) * sqrt(2) * sigma_log / sqrt(n). Rows whose robust CV is above the ceiling are "
         "INCONCLUSIVE (noisy), never a pass.\n\n";
}

void Memory(std::ostringstream& out, const Ledger& l) {
  bool header = false;
  for (const auto& g : l.gates) {
    if (!g.comparison) continue;
    for (const auto& b : g.comparison->candidate.benchmarks) {
      if (b.name != "memory/resident") continue;
      double peak = NAN, need = NAN;
      for (const auto& m : b.measures) {
        if (m.samples.empty()) continue;
        if (m.name == "peak_rss") peak = baselines::Median(m.samples);
        if (m.name == "model_and_kv") need = baselines::Median(m.samples);
      }
      if (std::isnan(peak) || std::isnan(need)) continue;
      if (!header) {
        out << "### Memory\n\n| gate | model | peak resident (VmHWM) | model file + KV cache | overhead |\n"
               "|---|---|---|---|---|\n";
        header = true;
      }
      out << "| " << Cell(g.gate.gate) << " | " << Cell(b.params) << " | " << FormatValue(peak / 1048576.0, "MiB") << " | "
          << FormatValue(need / 1048576.0, "MiB") << " | " << FormatPercent((peak - need) / need) << " |\n";
    }
  }
  if (header) out << "\n";
}

void Trends(std::ostringstream& out, const Ledger& l) {
  if (l.trends.empty()) return;
  out << "### Trends on " << l.pipeline.baseline_branch << " (this machine)\n\n";
  for (const auto& s : l.trends) {
    const std::string title = s.benchmark + " " + s.measure + " (" + s.unit + ")";
    out << "```mermaid\nxychart-beta\n  title \"" << MermaidString(title) << "\"\n  x-axis [";
    for (size_t i = 0; i < s.points.size(); ++i) out << (i ? ", " : "") << "\"" << MermaidString(s.points[i].label) << "\"";
    out << "]\n  y-axis \"" << MermaidString(s.unit) << "\"\n  line [";
    for (size_t i = 0; i < s.points.size(); ++i) out << (i ? ", " : "") << MermaidNumber(s.points[i].median);
    out << "]\n```\n\n";
    out << "| run | median | samples |\n|---|---|---|\n";
    for (const auto& p : s.points) out << "| " << Cell(p.label) << " | " << Cell(FormatValue(p.median, s.unit)) << " | " << p.n << " |\n";
    out << "\n";
  }
}

void Environment(std::ostringstream& out, const Ledger& l) {
  if (!l.machine) return;
  const auto& m = *l.machine;
  out << "### Environment\n\n| | this run";
  const bool base = l.baseline_machine.has_value();
  out << (base ? " | baseline |\n|---|---|---|\n" : " |\n|---|---|\n");
  std::vector<std::string> diffs;
  auto row = [&](const char* name, const std::string& a, const std::string& b) {
    out << "| " << name << " | " << Cell(a.empty() ? "-" : a);
    if (base) out << " | " << Cell(b.empty() ? "-" : b);
    out << " |\n";
    if (base && a != b) diffs.push_back(name);
  };
  const baselines::MachineInfo empty;
  const auto& b = base ? *l.baseline_machine : empty;
  row("CPU", m.cpu_model, b.cpu_model);
  row("ISA flags", m.isa_flags, b.isa_flags);
  row("logical cores", std::to_string(m.cores), std::to_string(b.cores));
  row("frequency scaling", m.frequency_scaling ? "on" : "off", b.frequency_scaling ? "on" : "off");
  row("OS", m.os, b.os);
  row("compiler", m.compiler, b.compiler);
  row("build type", m.build_type, b.build_type);
  row("host", m.host_name, b.host_name);
  row("fingerprint", m.Fingerprint(), b.Fingerprint());
  out << "\n";
  if (base) {
    if (diffs.empty()) {
      out << "Same machine fingerprint as the baseline.\n\n";
    } else {
      out << "**Differs from the baseline's machine:** ";
      for (size_t i = 0; i < diffs.size(); ++i) out << (i ? ", " : "") << diffs[i];
      out << (std::find(diffs.begin(), diffs.end(), std::string("fingerprint")) != diffs.end()
                  ? " (rows compared across machines are INCONCLUSIVE)\n\n"
                  : " (informational fields only)\n\n");
    }
  }
  if (m.frequency_scaling)
    out << "> CPU frequency scaling is on (governor other than `performance`): expect more noise.\n\n";
}

}  // namespace

std::string LedgerHeadline(const Ledger& l) {
  const Counts c = Count(l);
  std::ostringstream out;
  out << "**" << LedgerState(l.pipeline.exit_code) << "**: " << GateCounts(c) << " · " << c.rows
      << " verdict rows: " << c.row_regression << " REGRESSION";
  if (c.row_confirmed) out << " (" << c.row_confirmed << " confirmed)";
  if (c.row_accepted) out << ", " << c.row_accepted << " accepted";
  out << ", " << c.row_improvement << " IMPROVEMENT, " << c.row_pass << " PASS, " << c.row_inconclusive
      << " INCONCLUSIVE · SLOs: " << c.slo_pass << " pass, " << c.slo_fail << " fail, " << c.slo_skipped
      << " skipped · " << c.correctness_failures << " correctness failure" << (c.correctness_failures == 1 ? "" : "s");
  return out.str();
}

std::string LedgerMarkdown(const Ledger& l) {
  const Counts c = Count(l);
  const auto& p = l.pipeline;
  std::ostringstream out;
  out << LedgerMarker(l) << "\n";
  out << "## bitgate ledger: " << p.branch << " @ " << Short(p.commit) << " vs " << p.baseline_branch << " @ "
      << Short(p.merge_base.empty() ? p.commit : p.merge_base) << (p.ab ? " (A/B)" : "") << "\n\n";
  out << LedgerHeadline(l) << "\n\n";
  for (const auto& n : l.notes) out << "> " << Cell(n) << "\n";
  if (!l.notes.empty()) out << "\n";

  out << "### Gates\n\n| gate | status | evidence |\n|---|---|---|\n";
  for (const auto& g : l.gates)
    out << "| " << Cell(g.gate.gate) << " | " << GateStatusName(g.gate.status) << " | " << Evidence(g) << " |\n";
  out << "\n";

  out << "### Hop log\n\n| time (UTC) | event |\n|---|---|\n";
  for (const auto& h : p.hops) out << "| " << h.at << " | " << Cell(h.event) << " |\n";
  out << "\n";

  Decision(out, l, c);

  for (const auto& g : l.gates) {
    const bool failed_process = g.gate.status == GateStatus::kCrashed || g.gate.status == GateStatus::kTimeout ||
                                g.gate.status == GateStatus::kError;
    if (!g.comparison && !failed_process && !(g.outcome && !g.outcome->correctness_failures.empty())) continue;
    out << "### " << Cell(g.gate.gate) << "\n\n";
    if (failed_process && !g.gate.output_tail.empty()) {
      const std::string fence = MarkdownFence(g.gate.output_tail);
      out << "<details><summary>output tail (" << HtmlText(g.gate.process) << ")</summary>\n\n" << fence << "\n"
          << g.gate.output_tail << "\n" << fence << "\n\n</details>\n\n";
    }
    if (g.outcome && !g.outcome->correctness_failures.empty()) {
      out << "**Correctness failures:**\n\n";
      for (const auto& f : g.outcome->correctness_failures) out << "- " << Cell(f) << "\n";
      out << "\n";
    }
    if (!g.comparison) continue;
    const auto& cmp = *g.comparison;
    for (const auto& n : cmp.notes) out << "> " << Cell(n) << "\n";
    if (g.outcome)
      for (const auto& n : g.outcome->notes) out << "> " << Cell(n) << "\n";
    if (!cmp.notes.empty() || (g.outcome && !g.outcome->notes.empty())) out << "\n";
    const auto rows = WorstFirst(cmp.rows);
    int changed = 0;
    for (const auto* r : rows) changed += r->verdict == Verdict::kRegression || r->verdict == Verdict::kImprovement;
    if (changed > 0) {
      out << "Changed rows (" << changed << "):\n\n" << kRowHeader;
      for (const auto* r : rows)
        if (r->verdict == Verdict::kRegression || r->verdict == Verdict::kImprovement) out << LedgerRow(*r) << "\n";
      out << "\n";
    } else {
      out << "No row changed beyond its threshold.\n\n";
    }
    out << "<details><summary>all " << rows.size() << " rows, worst first</summary>\n\n" << kRowHeader;
    for (const auto* r : rows) out << LedgerRow(*r) << "\n";
    out << "\n" << SummaryLine(cmp) << "\n\n</details>\n\n";
  }

  std::vector<SloResult> slos;
  for (const auto& g : l.gates)
    if (g.outcome)
      for (const auto& s : g.outcome->slos) slos.push_back(s);
  if (!slos.empty()) out << "### SLOs\n\n" << SloTableMarkdown(slos) << "\n";
  Memory(out, l);
  Quality(out, l);
  Trends(out, l);
  Environment(out, l);
  out << "### Reproduce\n\n```sh\n" << p.command << "\n```\n";
  // --db only when the pipeline used another store than the default.
  out << "\nRe-render from the store: `bitgate report "
      << (p.db == baselines::kDefaultDbPath ? std::string() : "--db " + ShellWord(p.db) + " ") << "--run " << p.id
      << "`\n";
  return out.str();
}

}  // namespace bitgate::reports
