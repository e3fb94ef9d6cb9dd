// Formatting shared by the report writers: durations with a unit that
// keeps 4 significant digits, compact p-values, percentages, and the
// escaping every writer needs for names and messages (which come from
// benchmark output, file names and fuzzed inputs: any bytes).
#pragma once

#include <cstdint>
#include <string>

namespace bitgate::reports {

// A value in `unit`; nanosecond values are rescaled ("1.234 us").
std::string FormatValue(double value, const std::string& unit);
// FormatValue with the digits that keep `value` apart from `threshold` when
// four would print them alike ("10.0004 s" beside a target of 10 s).
std::string FormatValueBeside(double value, double threshold, const std::string& unit);
// "4e-4", "0.012", "0.23", "1"; the ledger's style.
std::string FormatP(double p);
// 0.0312 -> "3.1%".
std::string FormatPercent(double fraction);
// "x1.054".
// A ratio's number: 3 decimals, or 4 significant digits beyond 1e6.
std::string RatioNumber(double ratio);
std::string FormatRatio(double ratio);
// The same, with as many more decimals as it takes (up to 9) to read apart
// from `threshold` when the two would print alike: 1.0304 beside 1.03 is
// "1.0304", not "1.030".
std::string RatioNumberBeside(double ratio, double threshold);
// FormatP(p), with more significant digits when it would print like
// `alpha` without being equal to it: 0.0496 beside 0.05 is "0.0496".
std::string FormatPBeside(double p, double alpha);

// The code point of the UTF-8 sequence at text[*i], advancing *i past it;
// -1 (advancing one byte) where no well-formed sequence starts (overlong
// forms and surrogates are not well-formed).
int32_t NextCodePoint(const std::string& text, size_t* i);
// `text` with every byte that starts no well-formed sequence replaced by
// U+FFFD.
std::string ValidUtf8(const std::string& text);
// One line of markdown text (a list item): line breaks as spaces.
std::string MarkdownLine(std::string text);
// Text in a markdown table cell or paragraph, rendered as written: markdown
// punctuation backslash-escaped ('|' included, so a cell stays one cell),
// '<' and '&' as entities (GitHub drops raw HTML such as the "<float>" of a
// template benchmark's name), line breaks as spaces.
std::string MarkdownInline(const std::string& text);
// An inline code span holding `text` verbatim: delimited by one backtick
// more than its longest run of backticks (padded with spaces when it starts
// or ends with one), line breaks as spaces.
std::string MarkdownCode(const std::string& text);
// The fence for a fenced block holding `text`: three backticks, or one more
// than its longest run of backticks at a line start, so no line closes it.
std::string MarkdownFence(const std::string& text);
// One POSIX shell word: `s` as is when no shell would split or expand it,
// otherwise single-quoted, so a printed command line can be pasted.
std::string ShellWord(const std::string& s);
// Inside a quoted mermaid string: '"' as #quot;, line breaks as spaces.
std::string MermaidString(const std::string& text);
// A number as a Mermaid chart takes it: fixed point, six significant
// digits, no exponent ("15234567", "0.000075").
std::string MermaidNumber(double value);

}  // namespace bitgate::reports
