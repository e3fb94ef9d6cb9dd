// The ledger as results.json and junit.xml.
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kernels/base/json.h"
#include "reports/comparison_report.h"
#include "reports/gate_report.h"
#include "reports/ledger.h"

namespace bitgate::reports {

using baselines::Reason;
using baselines::Verdict;
using nlohmann::json;

namespace {

std::string Xml(const std::string& s) { return XmlEscape(s); }

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

json MachineJson(const baselines::MachineInfo& m) {
  return {{"cpu_model", m.cpu_model}, {"isa_flags", m.isa_flags}, {"cores", m.cores},
          {"frequency_scaling", m.frequency_scaling}, {"os", m.os}, {"compiler", m.compiler},
          {"build_type", m.build_type}, {"host_name", m.host_name}, {"fingerprint", m.Fingerprint()}};
}

}  // namespace

std::string LedgerJson(const Ledger& l) {
  json doc;
  doc["format"] = "bitgate-ledger";
  doc["version"] = 1;
  doc["state"] = LedgerState(l.pipeline.exit_code);
  doc["exit_code"] = l.pipeline.exit_code;
  doc["headline"] = LedgerHeadline(l);
  doc["marker"] = LedgerMarker(l);
  doc["pipeline"] = json::parse(PipelineRecordJson(l.pipeline));
  doc["gates"] = json::array();
  for (const auto& g : l.gates) {
    json j;
    j["gate"] = g.gate.gate;
    j["status"] = GateStatusName(g.gate.status);
    j["process"] = g.gate.process;
    j["seconds"] = g.gate.seconds;
    j["run_id"] = g.gate.run_id;
    j["outcome"] = g.outcome ? json::parse(GateOutcomeJson(*g.outcome)) : json(nullptr);
    j["comparison"] = g.comparison ? json::parse(ComparisonJson(*g.comparison)) : json(nullptr);
    doc["gates"].push_back(std::move(j));
  }
  doc["trends"] = json::array();
  for (const auto& s : l.trends) {
    json points = json::array();
    for (const auto& p : s.points) points.push_back({{"label", p.label}, {"median", p.median}, {"n", p.n}});
    doc["trends"].push_back({{"benchmark", s.benchmark}, {"measure", s.measure}, {"unit", s.unit}, {"points", points}});
  }
  doc["machine"] = l.machine ? MachineJson(*l.machine) : json(nullptr);
  doc["baseline_machine"] = l.baseline_machine ? MachineJson(*l.baseline_machine) : json(nullptr);
  doc["notes"] = l.notes;
  return DumpJson(doc) + "\n";
}

namespace {

struct JunitTotals {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
};

// `gates` as JUnit: one <testsuite> per gate (properties and timestamp
// from `context`) in a <testsuites> named `name`.
std::string JunitDocument(const std::string& name, const PipelineRecord& context,
                          const std::vector<GateLedger>& gates) {
  JunitTotals all;
  std::ostringstream suites;
  for (const auto& g : gates) {
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    std::ostringstream cases;
    const std::string cls = "bitgate." + g.gate.gate;
    // The gate process itself: a crash, timeout, missing executable or
    // error is an <error>, whatever rows it left behind.
    ++tests;
    cases << "    <testcase name=\"gate process\" classname=\"" << Xml(cls) << "\" time=\"" << Seconds(g.gate.seconds)
          << "\">";
    // A failing exit that no receipt, correctness, SLO or row case below
    // accounts for (an outcome that was not read back) fails here, and an
    // undecided gate (--strict) is skipped, so the counts agree with the
    // exit code.
    bool explained = !g.gate.receipt_failures.empty();
    if (g.outcome) {
      explained = explained || !g.outcome->correctness_failures.empty();
      for (const auto& s : g.outcome->slos) explained = explained || (!s.skipped && !s.passed);
    }
    if (g.comparison)
      for (const auto& r : g.comparison->rows) explained = explained || (r.verdict == Verdict::kRegression && !r.accepted);
    const std::string what = std::string(GateStatusName(g.gate.status)) + ": " + g.gate.process;
    switch (g.gate.status) {
      case GateStatus::kCrashed:
      case GateStatus::kTimeout:
      case GateStatus::kMissing:
      case GateStatus::kError:
        ++errors;
        cases << "<error message=\"" << Xml(what) << "\" type=\"" << GateStatusName(g.gate.status) << "\">"
              << Xml(g.gate.output_tail) << "</error>";
        break;
      case GateStatus::kRegression:
      case GateStatus::kCorrectness:
        if (!explained) {
          ++failures;
          cases << "<failure message=\"" << Xml(what + " (no failing row, SLO or check on record)") << "\" type=\""
                << GateStatusName(g.gate.status) << "\"/>";
        }
        break;
      case GateStatus::kUndecided:
        ++skipped;
        cases << "<skipped message=\"" << Xml(what) << "\"/>";
        break;
      default: break;
    }
    cases << "</testcase>\n";
    for (const auto& f : g.gate.receipt_failures) {
      ++tests;
      ++failures;
      cases << "    <testcase name=\"receipt\" classname=\"" << Xml(cls) << "\" time=\"0\"><failure message=\""
            << Xml(f) << "\" type=\"receipt\"/></testcase>\n";
    }
    if (g.outcome) {
      for (const auto& f : g.outcome->correctness_failures) {
        ++tests;
        ++failures;
        cases << "    <testcase name=\"correctness\" classname=\"" << Xml(cls) << "\" time=\"0\"><failure message=\""
              << Xml(f) << "\" type=\"correctness\"/></testcase>\n";
      }
      for (const auto& s : g.outcome->slos) {
        ++tests;
        cases << "    <testcase name=\"" << Xml("SLO " + s.name) << "\" classname=\"" << Xml(cls) << "\" time=\"0\">";
        const std::string msg = SloTableMarkdown({s});
        if (s.skipped) {
          ++skipped;
          cases << "<skipped message=\"" << Xml(s.note) << "\"/>";
        } else if (!s.passed) {
          ++failures;
          cases << "<failure message=\"" << Xml(msg) << "\" type=\"slo\"/>";
        }
        cases << "</testcase>\n";
      }
    }
    if (g.comparison) {
      for (const auto& r : g.comparison->rows) {
        ++tests;
        JunitCounts counts;
        cases << JunitRowCase(r, cls, &counts);
        failures += counts.failures;
        errors += counts.errors;
        skipped += counts.skipped;
      }
    }
    suites << "  <testsuite name=\"" << Xml(cls) << "\" tests=\"" << tests << "\" failures=\"" << failures
           << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"" << Seconds(g.gate.seconds)
           << "\" timestamp=\"" << Xml(context.started_at) << "\">\n";
    suites << "    <properties><property name=\"branch\" value=\"" << Xml(context.branch)
           << "\"/><property name=\"commit\" value=\"" << Xml(context.commit)
           << "\"/><property name=\"merge_base\" value=\"" << Xml(context.merge_base)
           << "\"/><property name=\"status\" value=\"" << GateStatusName(g.gate.status) << "\"/></properties>\n";
    suites << cases.str() << "  </testsuite>\n";
    all.tests += tests;
    all.failures += failures;
    all.errors += errors;
    all.skipped += skipped;
    all.time += g.gate.seconds;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << Xml(name) << "\" tests=\"" << all.tests << "\" failures=\"" << all.failures
      << "\" errors=\"" << all.errors << "\" skipped=\"" << all.skipped << "\" time=\"" << Seconds(all.time)
      << "\">\n";
  out << suites.str() << "</testsuites>\n";
  return out.str();
}

}  // namespace

std::string LedgerJunit(const Ledger& l) { return JunitDocument("bitgate pipeline", l.pipeline, l.gates); }

std::string GateJunit(const GateLedger& gate, const PipelineRecord& context) {
  return JunitDocument("bitgate-" + gate.gate.gate, context, {gate});
}

}  // namespace bitgate::reports
