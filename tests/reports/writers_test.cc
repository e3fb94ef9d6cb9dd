// The writers against hostile text (names and messages come from benchmark
// output, file names and fuzzed inputs: any bytes) and the ledger's
// Decision / JUnit / headline against gate statuses that nothing else on
// record explains.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "baselines/verdict.h"
#include "reports/comparison_report.h"
#include "reports/format.h"
#include "reports/gate_report.h"
#include "reports/ledger.h"

namespace bitgate::reports {
namespace {

TEST(FormatTest, Utf8Decoding) {
  const auto decode = [](const std::string& s) {
    size_t i = 0;
    return NextCodePoint(s, &i);
  };
  EXPECT_EQ(decode("\xC3\xA9"), 0xE9);
  EXPECT_EQ(decode("\xF0\x9F\x98\x80"), 0x1F600);
  EXPECT_EQ(decode("\xEF\xBF\xBE"), 0xFFFE);  // well-formed (XML forbids it; XmlEscape's job)
  EXPECT_EQ(decode("\xE9"), -1);              // Latin-1 byte
  EXPECT_EQ(decode("\xC0\x80"), -1);          // overlong
  EXPECT_EQ(decode("\xED\xA0\x80"), -1);      // surrogate
  EXPECT_EQ(decode("\xF4\x90\x80\x80"), -1);  // above U+10FFFF
  EXPECT_EQ(decode("\xE2\x82"), -1);          // truncated
  EXPECT_EQ(ValidUtf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(FormatTest, MarkdownAndMermaidEscapes) {
  EXPECT_EQ(MarkdownInline("a|b\nc\r"), "a\\|b c ");
  EXPECT_EQ(MermaidString("say \"hi\"\n"), "say #quot;hi#quot; ");
}

TEST(FormatTest, MarkdownTextRendersAsWritten) {
  // GitHub drops "<float>" as an HTML tag; '*' and edge '_' make emphasis.
  EXPECT_EQ(MarkdownInline("BM_Foo<float>/8 & a|b"), "BM_Foo&lt;float>/8 &amp; a\\|b");
  EXPECT_EQ(MarkdownInline("a*b*c [x](y) `z` ~s~ \\"), "a\\*b\\*c [x\\](y) \\`z\\` \\~s\\~ \\\\");
  EXPECT_EQ(MarkdownInline("gemv/tq2_0/avx512 _x_ y_"), "gemv/tq2_0/avx512 \\_x\\_ y\\_");
  EXPECT_EQ(MarkdownInline("1 us -> 2 us\nnext"), "1 us -> 2 us next");
  EXPECT_EQ(MarkdownInline("< 10 ns, <!-- x --> </b> <?"), "< 10 ns, &lt;!-- x --> &lt;/b> &lt;?");
}

TEST(FormatTest, ShellWords) {
  EXPECT_EQ(ShellWord("--out"), "--out");
  EXPECT_EQ(ShellWord("--filter=gemv/x"), "--filter=gemv/x");
  EXPECT_EQ(ShellWord(""), "''");
  for (const char* special : {"a b", "`id`", "#c", "~", "!x", "{a,b}", "a\nb", "$HOME", "it's"})
    EXPECT_EQ(ShellWord(special).front(), '\'') << special;
  EXPECT_EQ(ShellWord("it's"), "'it'\\''s'");
}

TEST(FormatTest, CodeSpansAndFencesHoldAnyBackticks) {
  EXPECT_EQ(MarkdownCode("out/dir"), "`out/dir`");
  EXPECT_EQ(MarkdownCode("a`b"), "``a`b``");
  EXPECT_EQ(MarkdownCode("`x``"), "``` `x`` ```");
  EXPECT_EQ(MarkdownCode("two\nlines"), "`two lines`");
  EXPECT_EQ(MarkdownFence("plain"), "```");
  EXPECT_EQ(MarkdownFence("```\nclosed?\n````"), "`````");
}

TEST(FormatTest, XmlEscapeKeepsTheDocumentWellFormed) {
  EXPECT_EQ(XmlEscape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
  EXPECT_EQ(XmlEscape("x\xEF\xBF\xBEy\xEF\xBF\xBFz"), "xyz");  // U+FFFE, U+FFFF
  EXPECT_EQ(XmlEscape("caf\xE9"), "caf\xEF\xBF\xBD");           // not UTF-8
  EXPECT_EQ(XmlEscape("a\x01" "b\tc\nd"), "ab\tc&#10;d");       // controls dropped
  EXPECT_EQ(XmlEscape("\xC3\xA9\xF0\x9F\x98\x80"), "\xC3\xA9\xF0\x9F\x98\x80");
}

baselines::ComparisonReport OneRowReport(const std::string& name, bool regressed, bool accepted) {
  baselines::ComparisonInput in;
  in.benchmark = name;
  in.measure = "time";
  in.unit = "ns";
  for (int i = 0; i < 10; ++i) {
    in.baseline.push_back(100 + 0.1 * i);
    in.candidate.push_back((regressed ? 120 : 100) + 0.1 * i + 0.05);
  }
  baselines::ComparisonReport c;
  c.candidate.id = 5;
  c.baseline.run_ids = {4};
  c.rows = baselines::CompareAll({in}, c.config);
  for (auto& r : c.rows) r.accepted = accepted && r.verdict == baselines::Verdict::kRegression;
  c.summary = baselines::Summarize(c.rows);
  return c;
}

TEST(WritersTest, InvalidUtf8DoesNotLoseTheJson) {
  const auto report = OneRowReport("caf\xE9", false, false);
  std::string text;
  ASSERT_NO_THROW(text = ComparisonJson(report));
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["rows"][0]["benchmark"], "caf\xEF\xBF\xBD");
  // A name with a newline and a pipe stays in its table row.
  const std::string md = ComparisonMarkdown(OneRowReport("line1\nline2 | x", false, false));
  EXPECT_NE(md.find("| line1 line2 \\| x |"), std::string::npos) << md;
}

Ledger OneGate(GateStatus status, int exit_code) {
  Ledger l;
  l.pipeline.id = 3;
  l.pipeline.branch = "pr";
  l.pipeline.commit = "c0ffee";
  l.pipeline.baseline_branch = "main";
  l.pipeline.exit_code = exit_code;
  l.pipeline.strict = true;
  GateLedger g;
  g.gate.gate = "fuzz";
  g.gate.status = status;
  g.gate.process = "exit " + std::to_string(exit_code);
  l.gates.push_back(g);
  return l;
}

std::string Between(const std::string& text, const std::string& from, const std::string& to) {
  const size_t a = text.find(from);
  if (a == std::string::npos) return "";
  const size_t b = text.find(to, a);
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(WritersTest, UndecidedGateIsNeitherPassedNorSilent) {
  Ledger l = OneGate(GateStatus::kUndecided, 3);
  GateOutcome o;
  o.gate = "fuzz";
  o.exit_code = 3;
  l.gates[0].outcome = o;
  baselines::ComparisonInput in;  // one sample a side: INCONCLUSIVE (too few samples)
  in.benchmark = "fuzz/shape";
  in.measure = "execs";
  in.baseline = {100};
  in.candidate = {101};
  baselines::ComparisonReport c;
  c.baseline.run_ids = {1};
  c.rows = baselines::CompareAll({in}, c.config);
  c.summary = baselines::Summarize(c.rows);
  l.gates[0].comparison = c;
  const std::string md = LedgerMarkdown(l);
  const std::string decision = Between(md, "### Decision", "\n\n###");
  EXPECT_EQ(decision.find("every gate passed"), std::string::npos) << decision;
  EXPECT_NE(decision.find("fuzz: undecided (exit 3): INCONCLUSIVE rows: 1 too few samples"), std::string::npos)
      << decision;
  EXPECT_EQ(decision.find("**blocking:** none"), std::string::npos) << decision;
  const std::string xml = LedgerJunit(l);
  EXPECT_NE(xml.find("<testcase name=\"gate process\" classname=\"bitgate.fuzz\" time=\"0.000\"><skipped"),
            std::string::npos)
      << xml;
}

TEST(WritersTest, FailingExitWithNothingOnRecordFailsTheJunit) {
  for (const auto& [status, code] : {std::pair{GateStatus::kRegression, 1}, std::pair{GateStatus::kCorrectness, 4}}) {
    const Ledger l = OneGate(status, code);  // no outcome read back, no rows
    const std::string xml = LedgerJunit(l);
    EXPECT_NE(xml.find("<testsuites name=\"bitgate pipeline\" tests=\"1\" failures=\"1\""), std::string::npos) << xml;
    const std::string decision = Between(LedgerMarkdown(l), "### Decision", "\n\n###");
    EXPECT_NE(decision.find("its outcome was not read back"), std::string::npos) << decision;
    EXPECT_EQ(decision.find("**blocking:** none"), std::string::npos) << decision;
  }
}

TEST(WritersTest, AcceptedRegressionsAreCountedApart) {
  Ledger l = OneGate(GateStatus::kPass, 0);
  l.gates[0].comparison = OneRowReport("gemv", true, true);
  ASSERT_EQ(l.gates[0].comparison->summary.accepted_regressions, 1);
  const std::string headline = LedgerHeadline(l);
  EXPECT_NE(headline.find("1 verdict rows: 0 REGRESSION, 1 accepted,"), std::string::npos) << headline;
  EXPECT_NE(LedgerJunit(l).find("failures=\"0\""), std::string::npos);
}

// Names, notes, paths and console output come from gates, branches and
// files: none may break the ledger's tables, its code spans, its fenced
// output block or its marker comment, and a suggested command must be safe
// to paste.
TEST(WritersTest, UntrustedTextCannotBreakTheMarkdown) {
  Ledger l = OneGate(GateStatus::kCrashed, -1);
  l.pipeline.branch = "feat/$(rm -rf ~);x-->y";
  l.pipeline.commit = "c1";
  l.gates[0].gate.gate = "my|gate\nnext";
  l.gates[0].gate.output_tail = "before\n```\n# not a heading\nafter";
  const std::string md = LedgerMarkdown(l);
  const std::string marker = md.substr(0, md.find('\n'));
  EXPECT_EQ(marker.find("-->"), marker.size() - 3) << marker;  // only the comment's own end
  EXPECT_NE(marker.find("branch=feat/%24%28rm%20-rf%20%7E%29%3Bx-%2D%3Ey"), std::string::npos) << marker;
  EXPECT_NE(md.find("| my\\|gate next | crashed |"), std::string::npos) << md;
  EXPECT_NE(md.find("````\nbefore\n```\n# not a heading\nafter\n````\n"), std::string::npos) << md;

  Ledger r = OneGate(GateStatus::kRegression, 1);
  r.pipeline.branch = "feat/$(touch x)|{a,b}";
  r.pipeline.commit = "c2";
  r.gates[0].comparison = OneRowReport("gemv", true, false);
  const std::string steps = LedgerMarkdown(r);
  // In a list item the '|' stays as it is (an escape would show inside the
  // code span), and braces are quoted against brace expansion.
  EXPECT_NE(steps.find("`bitgate baseline annotate --branch 'feat/$(touch x)|{a,b}' --commit c2 "), std::string::npos)
      << steps;
  // A pipeline on another store: the command names it (pasted without it,
  // the annotation went to the default store and accepted nothing).
  r.pipeline.db = "ci stores/perf.db";
  const std::string other = LedgerMarkdown(r);
  EXPECT_NE(other.find("`bitgate baseline annotate --db 'ci stores/perf.db' --branch "), std::string::npos) << other;

  auto report = OneRowReport("gemv", false, false);
  report.notes.push_back("a | note\nwith a line break");
  EXPECT_NE(ComparisonMarkdown(report).find("> a \\| note with a line break\n"), std::string::npos);
  GateOutcome o;
  o.artifacts.push_back("out/odd`name.json");
  EXPECT_NE(GateMarkdown(o, report).find("- ``out/odd`name.json``\n"), std::string::npos) << GateMarkdown(o, report);
}

}  // namespace
}  // namespace bitgate::reports
