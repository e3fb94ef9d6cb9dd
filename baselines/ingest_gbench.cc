#include "baselines/ingest_gbench.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "baselines/names.h"
#include "kernels/base/json.h"

namespace bitgate::baselines {
namespace {

using nlohmann::json;

// Fields of a Google Benchmark row that are not user counters.
const std::set<std::string>& KnownFields() {
  static const std::set<std::string> kFields = {
      "name", "family_index", "per_family_instance_index", "run_name", "run_type",
      "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
      "time_unit", "aggregate_name", "aggregate_unit", "error_occurred", "error_message",
      "skipped", "skip_message", "label", "big_o", "rms", "complexity_n"};
  return kFields;
}

Result<double> NanosPerUnit(const std::string& unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return Status::Error("unknown time_unit '" + unit + "' (expected ns, us, ms or s)");
}

// Google Benchmark writes a non-finite counter as the bare word NaN,
// Infinity or -Infinity, which JSON does not have: outside strings they
// become null, so the rest of the file still parses and the value itself
// is refused by name where it is used (PositiveNumber).
std::string NonFiniteLiteralsToNull(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view word : {"-Infinity", "Infinity", "NaN"}) {
      if (text.substr(i, word.size()) == word) {
        out += "null";
        i += word.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(c);
  }
  return out;
}

// A measure value must be a finite positive number: statistics work on logs.
Result<double> PositiveNumber(const json& row, const std::string& key, const std::string& where) {
  auto it = row.find(key);
  if (it == row.end()) return Status::Error(where + ": missing '" + key + "'");
  if (it->is_null()) return Status::Error(where + ": '" + key + "' is NaN or infinite (or null)");
  if (!it->is_number()) return Status::Error(where + ": '" + key + "' is not a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) return Status::Error(where + ": '" + key + "' is not finite");
  if (v < 0) return Status::Error(where + ": '" + key + "' is negative (" + std::to_string(v) + ")");
  if (v == 0) return Status::Error(where + ": '" + key + "' is zero");
  if (!SampleInRange(v)) return Status::Error(where + ": '" + key + "' is " + SampleText(v) + kSampleRangeText);
  return v;
}

// An optional string or boolean member of a row; absent takes `fallback`.
Result<std::string> OptionalString(const json& row, const char* key, const std::string& where,
                                   std::string fallback) {
  const json& v = JsonMember(row, key);
  if (v.is_null()) return fallback;
  if (!v.is_string()) return Status::Error(where + ": '" + key + "' is not a string (" + v.type_name() + ")");
  return v.get<std::string>();
}

Result<bool> OptionalBool(const json& row, const char* key, const std::string& where) {
  const json& v = JsonMember(row, key);
  if (v.is_null()) return false;
  if (!v.is_boolean()) return Status::Error(where + ": '" + key + "' is not true/false (" + v.type_name() + ")");
  return v.get<bool>();
}

// The machine's core count and clock, bounded as result JSON bounds them
// ([0, 2^30]; beyond int a cast is undefined, and 2^32 + 2 cores would
// pass for a 2-core machine's fingerprint). The core count is part of the
// fingerprint, so a bad one is an error; the clock is informational, so a
// bad one is left out with a warning.
constexpr int64_t kMaxMachineValue = int64_t{1} << 30;

Status ReadContextMachine(const json& context, const std::string& src, MachineInfo* m,
                          std::vector<std::string>* warnings) {
  auto cores = JsonInteger(context, "num_cpus", 0, kMaxMachineValue, src + ": context", m->cores);
  if (!cores.ok()) return cores.status();
  m->cores = static_cast<int>(*cores);
  const json& mhz = JsonMember(context, "mhz_per_cpu");
  if (mhz.is_number() && mhz.get<double>() >= 0 && mhz.get<double>() <= double(kMaxMachineValue)) {
    m->mhz = static_cast<int>(mhz.get<double>());
  } else if (!mhz.is_null()) {
    warnings->push_back(src + ": context: 'mhz_per_cpu' " + mhz.dump() + " is not a number in [0, " +
                        std::to_string(kMaxMachineValue) + "]; the clock is not recorded");
  }
  return Status::Ok();
}

MeasureSamples& MeasureOf(BenchmarkResult& b, const std::string& name, const std::string& unit,
                          Direction direction) {
  for (auto& m : b.measures)
    if (m.name == name) return m;
  b.measures.push_back(MeasureSamples{name, unit, direction, {}});
  return b.measures.back();
}

std::string Basename(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

static Result<RunRecord> ParseGbenchJsonUnchecked(std::string_view text, std::string_view source,
                                  const GbenchOptions& options, IngestReport* report) {
  const std::string src(source);
  IngestReport local;
  IngestReport& rep = report ? *report : local;
  // As it is first, so a syntax error's byte is the file's own; with the
  // non-finite words turned into null when that is what failed.
  auto parsed = ParseJson(text, src);
  if (!parsed.ok()) {
    const std::string nulled = NonFiniteLiteralsToNull(text);
    if (nulled != text) {
      auto again = ParseJson(nulled, src);
      if (again.ok()) parsed = std::move(again);  // else the original error, with the file's own byte
    }
  }
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!doc.is_object()) return Status::Error(src + ": expected a JSON object at the top level");
  auto benchmarks = doc.find("benchmarks");
  if (benchmarks == doc.end() || !benchmarks->is_array())
    return Status::Error(src + ": no 'benchmarks' array (is this Google Benchmark JSON?)");

  RunRecord run;
  run.source_format = "gbench";
  run.machine = options.live_machine;
  const json& context = JsonMember(doc, "context");  // absent: no context fields
  if (doc.contains("context") && !context.is_object()) return Status::Error(src + ": 'context' is not an object");
  BITGATE_RETURN_IF_ERROR(ReadContextMachine(context, src, &run.machine, &rep.warnings));
  if (context.contains("cpu_scaling_enabled") && context["cpu_scaling_enabled"].is_boolean())
    run.machine.frequency_scaling = context["cpu_scaling_enabled"].get<bool>();
  if (context.contains("host_name") && context["host_name"].is_string())
    run.machine.host_name = context["host_name"].get<std::string>();
  if (context.contains("library_build_type") && context["library_build_type"].is_string())
    run.machine.build_type = context["library_build_type"].get<std::string>();
  run.started_at_from_import = !(context.contains("date") && context["date"].is_string());
  run.started_at = run.started_at_from_import ? NowUtc() : context["date"].get<std::string>();
  run.ended_at = run.started_at;
  run.suite = options.suite;
  if (run.suite.empty() && context.contains("executable") && context["executable"].is_string())
    run.suite = Basename(context["executable"].get<std::string>());
  if (run.suite.empty()) run.suite = "gbench";
  if (HasControlByte(run.suite))  // names.h
    return Status::Error(src + ": the suite name (from --suite or the executable) holds a control character");
  run.gate = "gbench";
  run.tool_version = context.contains("library_version") && context["library_version"].is_string()
                         ? "google-benchmark " + context["library_version"].get<std::string>()
                         : "google-benchmark";

  std::set<std::string> undeclared;
  std::map<std::string, size_t> index_of;  // run_name -> position in run.benchmarks
  std::set<std::pair<std::string, int64_t>> repetitions_seen;  // (run_name, repetition_index)
  for (size_t i = 0; i < benchmarks->size(); ++i) {
    const json& row = (*benchmarks)[i];
    const std::string where_row = src + ": benchmarks[" + std::to_string(i) + "]";
    if (!row.is_object()) return Status::Error(where_row + " is not an object");
    if (!row.contains("name") || !row["name"].is_string())
      return Status::Error(where_row + ": missing 'name'");
    auto run_type_or = OptionalString(row, "run_type", where_row, "iteration");
    if (!run_type_or.ok()) return run_type_or.status();
    const std::string& run_type = *run_type_or;
    if (run_type == "aggregate") {
      ++rep.aggregate_rows_skipped;
      continue;
    }
    if (run_type != "iteration")
      return Status::Error(where_row + ": unknown run_type '" + run_type + "'");
    ++rep.iteration_rows;
    const std::string name = row.contains("run_name") && row["run_name"].is_string()
                                 ? row["run_name"].get<std::string>()
                                 : row["name"].get<std::string>();
    if (HasControlByte(name)) return Status::Error(where_row + ": the name holds a control character");  // names.h
    if (name.empty()) return Status::Error(where_row + ": the name is empty");
    const std::string where = src + ": benchmark '" + name + "' (benchmarks[" + std::to_string(i) + "])";
    // Two rows of one repetition: two benchmarks registered under one name
    // (Google Benchmark allows it), whose samples would be pooled as one.
    if (const json& rep_index = JsonMember(row, "repetition_index"); rep_index.is_number_integer()) {
      if (!repetitions_seen.emplace(name, rep_index.get<int64_t>()).second)
        return Status::Error(where + ": repetition " + std::to_string(rep_index.get<int64_t>()) +
                             " appears twice (two benchmarks with one name, or two files joined?)");
    }
    auto [it, inserted] = index_of.emplace(name, run.benchmarks.size());
    if (inserted) {
      BenchmarkResult b;
      b.suite = run.suite;
      b.name = name;
      run.benchmarks.push_back(std::move(b));
    }
    BenchmarkResult& b = run.benchmarks[it->second];

    auto error = OptionalBool(row, "error_occurred", where);
    if (!error.ok()) return error.status();
    const bool skipped = row.contains("skipped") && row["skipped"].is_boolean() && row["skipped"].get<bool>();
    if (*error || skipped) {
      // Recorded as such; its timings (if any) mean nothing.
      b.status = *error ? BenchmarkStatus::kError : BenchmarkStatus::kSkipped;
      auto message = OptionalString(row, *error ? "error_message" : "skip_message", where, "");
      if (!message.ok()) return message.status();
      b.message = *message;
      continue;
    }
    auto unit_name = OptionalString(row, "time_unit", where, "ns");
    if (!unit_name.ok()) return unit_name.status();
    auto unit = NanosPerUnit(*unit_name);
    if (!unit.ok()) return unit.status().WithContext(where);
    for (const char* key : {"real_time", "cpu_time"}) {
      auto v = PositiveNumber(row, key, where);
      if (!v.ok()) return v.status();
      const double ns = *v * *unit;
      if (!SampleInRange(ns))
        return Status::Error(where + ": '" + key + "' " + *unit_name + " is out of range when converted to ns" +
                             kSampleRangeText);
      MeasureOf(b, key, "ns", Direction::kLowerIsBetter).samples.push_back(ns);
    }
    for (auto field = row.begin(); field != row.end(); ++field) {
      // Numbers, and the nulls a NaN or Infinity became (refused below when
      // the counter is imported).
      if (KnownFields().count(field.key()) || !(field->is_number() || field->is_null())) continue;
      const std::string& counter = field.key();
      Direction direction;
      std::string counter_unit = "1";
      if (counter == "items_per_second" || counter == "bytes_per_second") {
        direction = Direction::kHigherIsBetter;
        counter_unit = counter == "items_per_second" ? "items/s" : "bytes/s";
      } else if (auto d = options.counter_directions.find(counter); d != options.counter_directions.end()) {
        direction = d->second;
      } else {
        undeclared.insert(counter);
        continue;
      }
      auto v = PositiveNumber(row, counter, where);
      if (!v.ok()) return v.status();
      MeasureOf(b, counter, counter_unit, direction).samples.push_back(*v);
    }
  }
  if (run.benchmarks.empty())
    return Status::Error(src + ": no benchmark iteration rows (empty 'benchmarks' array, or aggregates only: "
                         "run with --benchmark_repetitions=N and without --benchmark_report_aggregates_only)");
  for (const auto& b : run.benchmarks)
    if (b.status != BenchmarkStatus::kOk) run.status = "partial";
  for (const auto& c : undeclared)
    rep.warnings.push_back("counter '" + c + "' not imported: declare its direction with --counter " + c +
                           "=lower|higher");
  return run;
}

// nlohmann::json throws on a type mismatch deep inside (e.g. a string where
// a number belongs); every such case becomes an error naming the file.
Result<RunRecord> ParseGbenchJson(std::string_view text, std::string_view source,
                                  const GbenchOptions& options, IngestReport* report) {
  try {
    return ParseGbenchJsonUnchecked(text, source, options, report);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string(source) + ": unexpected JSON content: " + e.what());
  }
}

}  // namespace bitgate::baselines
