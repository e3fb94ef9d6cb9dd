// Golden output of the history writers.
#include "reports/history_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace bitgate::reports {
namespace {

baselines::HistoryReport Example() {
  baselines::HistoryReport h;
  h.benchmark = "gemv/i2s";
  h.measure = "time";
  h.unit = "ns";
  h.branch = "main";
  h.fingerprint = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    baselines::HistoryEntry e;
    e.run_id = i + 1;
    // Built with push_back: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
    e.commit = std::string(1, 'c');
    e.commit.push_back(static_cast<char>('0' + i));
    e.started_at = std::string("2026-11-2");
    e.started_at.push_back(static_cast<char>('0' + i));
    e.n = 10;
    e.median = i < 2 ? 1000.0 : 1100.0;
    e.cv = 0.01;
    e.annotated = i == 3;
    h.entries.push_back(e);
  }
  baselines::HistoryStep step;
  step.index = 2;
  step.commit = "c2";
  step.previous_commit = "c1";
  step.before = 1000.0;
  step.after = 1100.0;
  step.ratio = 1.1;
  step.worse = true;
  h.steps.push_back(step);
  return h;
}

TEST(HistoryReportTest, MarkdownGolden) {
  EXPECT_EQ(HistoryMarkdown(Example()),
            "### history: gemv/i2s time (lower better) on main (machine 0123456789abcdef)\n\n"
            "| step at commit | previous commit | before -> after | ratio | |\n|---|---|---|---|---|\n"
            "| c2 | c1 | 1 us -> 1.1 us | x1.100 | worse |\n\n"
            "| run | commit | started | n | median | CV | |\n|---|---|---|---|---|---|---|\n"
            "| 1 | c0 | 2026-11-20 | 10 | 1 us | 1% |  |\n"
            "| 2 | c1 | 2026-11-21 | 10 | 1 us | 1% |  |\n"
            "| 3 | c2 | 2026-11-22 | 10 | 1.1 us | 1% | step x1.100 |\n"
            "| 4 | c3 | 2026-11-23 | 10 | 1.1 us | 1% | annotated |\n");
}

// A step between runs of one build says so instead of "worse".
TEST(HistoryReportTest, SameBuildStepReadsAsDrift) {
  auto h = Example();
  h.steps[0].same_build = true;
  h.steps[0].worse = false;
  EXPECT_NE(HistoryMarkdown(h).find("| c2 | c1 | 1 us -> 1.1 us | x1.100 | same build on both sides: machine drift |"),
            std::string::npos)
      << HistoryMarkdown(h);
  EXPECT_EQ(nlohmann::json::parse(HistoryJson(h))["change_points"][0]["same_build"], true);
}

TEST(HistoryReportTest, Json) {
  const auto doc = nlohmann::json::parse(HistoryJson(Example()));
  EXPECT_EQ(doc["format"], "bitgate-history");
  EXPECT_EQ(doc["change_points"][0]["commit"], "c2");
  EXPECT_EQ(doc["change_points"][0]["worse"], true);
  EXPECT_EQ(doc["runs"].size(), 4u);
  EXPECT_EQ(doc["direction"], "lower");
}

}  // namespace
}  // namespace bitgate::reports
