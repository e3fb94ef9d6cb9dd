#include "baselines/result_json.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <nlohmann/json.hpp>

#include "baselines/names.h"
#include "kernels/base/json.h"

namespace bitgate::baselines {
namespace {

using nlohmann::json;

// Optional string member; present but not a string is an error.
Status GetString(const json& obj, const char* key, const std::string& where, std::string* out,
                 bool required = false) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return required ? Status::Error(where + ": missing '" + key + "'") : Status::Ok();
  }
  if (!it->is_string()) return Status::Error(where + ": '" + key + "' is not a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ParseMachine(const json& m, const std::string& where, MachineInfo* out) {
  if (!m.is_object()) return Status::Error(where + " is not an object");
  BITGATE_RETURN_IF_ERROR(GetString(m, "cpu_model", where, &out->cpu_model));
  BITGATE_RETURN_IF_ERROR(GetString(m, "isa_flags", where, &out->isa_flags));
  BITGATE_RETURN_IF_ERROR(GetString(m, "os", where, &out->os));
  BITGATE_RETURN_IF_ERROR(GetString(m, "compiler", where, &out->compiler));
  BITGATE_RETURN_IF_ERROR(GetString(m, "build_type", where, &out->build_type));
  BITGATE_RETURN_IF_ERROR(GetString(m, "host_name", where, &out->host_name));
  for (auto [key, field] : {std::pair{"cores", &out->cores}, std::pair{"mhz", &out->mhz}}) {
    if (!m.contains(key)) continue;
    if (!m[key].is_number_integer() || m[key].get<int64_t>() < 0 || m[key].get<int64_t>() > 1 << 30)
      return Status::Error(where + ": '" + key + "' is not a non-negative integer");
    *field = m[key].get<int>();
  }
  if (m.contains("frequency_scaling")) {
    if (!m["frequency_scaling"].is_boolean())
      return Status::Error(where + ": 'frequency_scaling' is not true/false");
    out->frequency_scaling = m["frequency_scaling"].get<bool>();
  }
  return Status::Ok();
}

Status ParseMeasure(const json& m, const std::string& where, MeasureSamples* out) {
  if (!m.is_object()) return Status::Error(where + " is not an object");
  BITGATE_RETURN_IF_ERROR(GetString(m, "name", where, &out->name, true));
  BITGATE_RETURN_IF_ERROR(GetString(m, "unit", where, &out->unit, true));
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"name", &out->name},
                                    {"unit", &out->unit}})
    if (HasControlByte(*value)) return Status::Error(where + ": '" + field + "' holds a control character");
  if (out->name.empty()) return Status::Error(where + ": 'name' is empty");
  std::string direction;
  BITGATE_RETURN_IF_ERROR(GetString(m, "direction", where, &direction, true));
  if (direction == "lower") {
    out->direction = Direction::kLowerIsBetter;
  } else if (direction == "higher") {
    out->direction = Direction::kHigherIsBetter;
  } else {
    return Status::Error(where + ": direction '" + direction + "' is not 'lower' or 'higher'");
  }
  auto samples = m.find("samples");
  if (samples == m.end() || !samples->is_array() || samples->empty())
    return Status::Error(where + ": 'samples' must be a non-empty array");
  for (size_t i = 0; i < samples->size(); ++i) {
    const json& v = (*samples)[i];
    const std::string at = where + ".samples[" + std::to_string(i) + "]";
    if (!v.is_number()) return Status::Error(at + " is not a number");
    const double x = v.get<double>();
    if (!std::isfinite(x)) return Status::Error(at + " is not finite");
    if (x <= 0) return Status::Error(at + " is " + (x == 0 ? "zero" : "negative") + " (samples must be > 0)");
    if (!SampleInRange(x)) return Status::Error(at + " is " + SampleText(x) + kSampleRangeText);
    out->samples.push_back(x);
  }
  return Status::Ok();
}

}  // namespace

static Result<RunRecord> ParseResultJsonUnchecked(std::string_view text, std::string_view source) {
  const std::string src(source);
  auto parsed = ParseJson(text, src);
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!doc.is_object() || doc.value("format", std::string()) != "bitgate-result")
    return Status::Error(src + ": not a bitgate result (expected \"format\": \"bitgate-result\")");
  if (!doc.contains("version") || !doc["version"].is_number_integer())
    return Status::Error(src + ": missing integer 'version'");
  const int64_t version = doc["version"].get<int64_t>();
  if (version > kResultFormatVersion || version < 1)
    return Status::Error(src + ": result format version " + std::to_string(version) +
                         " is not supported (this bitgate reads version " +
                         std::to_string(kResultFormatVersion) + "; upgrade bitgate)");
  RunRecord run;
  run.source_format = "bitgate";
  const json& meta = JsonMember(doc, "run");  // absent: every field takes its default
  const std::string where_run = src + ": run";
  if (doc.contains("run") && !meta.is_object()) return Status::Error(where_run + " is not an object");
  BITGATE_RETURN_IF_ERROR(GetString(meta, "gate", where_run, &run.gate));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "suite", where_run, &run.suite));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "branch", where_run, &run.branch));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "commit", where_run, &run.commit));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "merge_base", where_run, &run.merge_base));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "started_at", where_run, &run.started_at));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "ended_at", where_run, &run.ended_at));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "status", where_run, &run.status));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "tool_version", where_run, &run.tool_version));
  BITGATE_RETURN_IF_ERROR(GetString(meta, "config_hash", where_run, &run.config_hash));
  if (run.status != "ok" && run.status != "partial" && run.status != "failed")
    return Status::Error(where_run + ": status '" + run.status + "' is not ok, partial or failed");
  if (run.started_at.empty()) {
    run.started_at = NowUtc();
    run.started_at_from_import = true;
  }
  if (run.ended_at.empty()) run.ended_at = run.started_at;
  if (doc.contains("machine")) BITGATE_RETURN_IF_ERROR(ParseMachine(doc["machine"], src + ": machine", &run.machine));

  auto benchmarks = doc.find("benchmarks");
  if (benchmarks == doc.end() || !benchmarks->is_array() || benchmarks->empty())
    return Status::Error(src + ": 'benchmarks' must be a non-empty array");
  std::set<std::string> identities;
  for (size_t i = 0; i < benchmarks->size(); ++i) {
    const json& b = (*benchmarks)[i];
    const std::string where = src + ": benchmarks[" + std::to_string(i) + "]";
    if (!b.is_object()) return Status::Error(where + " is not an object");
    BenchmarkResult out;
    out.suite = run.suite;
    BITGATE_RETURN_IF_ERROR(GetString(b, "suite", where, &out.suite));
    BITGATE_RETURN_IF_ERROR(GetString(b, "name", where, &out.name, true));
    BITGATE_RETURN_IF_ERROR(GetString(b, "params", where, &out.params));
    BITGATE_RETURN_IF_ERROR(GetString(b, "version_hash", where, &out.version_hash));
    for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"suite", &out.suite},
                                      {"name", &out.name}, {"params", &out.params}}) {
      if (HasControlByte(*value)) return Status::Error(where + ": '" + field + "' holds a control character");  // names.h
    }
    if (out.name.empty()) return Status::Error(where + ": 'name' is empty");
    BITGATE_RETURN_IF_ERROR(GetString(b, "message", where, &out.message));
    std::string status = "ok";
    BITGATE_RETURN_IF_ERROR(GetString(b, "status", where, &status));
    if (status == "ok") {
      out.status = BenchmarkStatus::kOk;
    } else if (status == "error") {
      out.status = BenchmarkStatus::kError;
    } else if (status == "skipped") {
      out.status = BenchmarkStatus::kSkipped;
    } else {
      return Status::Error(where + ": status '" + status + "' is not ok, error or skipped");
    }
    const std::string where_named = src + ": benchmark '" + out.name + "'";
    auto measures = b.find("measures");
    if (measures != b.end() && !measures->is_array())
      return Status::Error(where_named + ": 'measures' is not an array");
    if (out.status == BenchmarkStatus::kOk && (measures == b.end() || measures->empty()))
      return Status::Error(where_named + ": status ok but no measures");
    if (measures != b.end()) {
      std::set<std::string> measure_names;
      for (size_t k = 0; k < measures->size(); ++k) {
        MeasureSamples m;
        BITGATE_RETURN_IF_ERROR(ParseMeasure((*measures)[k], where_named + " measures[" + std::to_string(k) + "]", &m));
        if (!measure_names.insert(m.name).second)
          return Status::Error(where_named + ": measure '" + m.name + "' appears twice");
        out.measures.push_back(std::move(m));
      }
    }
    // A set, not a scan of the benchmarks so far: an untrusted file of 100k
    // benchmarks would cost 5e9 comparisons.
    if (!identities.insert(out.suite + '\x1f' + out.name + '\x1f' + out.params).second)
      return Status::Error(where_named + ": listed twice (same suite, name and params)");
    run.benchmarks.push_back(std::move(out));
  }
  return run;
}

std::string WriteResultJson(const RunRecord& run) {
  json doc;
  doc["format"] = "bitgate-result";
  doc["version"] = kResultFormatVersion;
  doc["run"] = {{"gate", run.gate},           {"suite", run.suite},
                {"branch", run.branch},       {"commit", run.commit},
                {"merge_base", run.merge_base}, {"started_at", run.started_at},
                {"ended_at", run.ended_at},   {"status", run.status},
                {"tool_version", run.tool_version}, {"config_hash", run.config_hash}};
  const MachineInfo& m = run.machine;
  doc["machine"] = {{"cpu_model", m.cpu_model}, {"isa_flags", m.isa_flags},
                    {"cores", m.cores},         {"mhz", m.mhz},
                    {"frequency_scaling", m.frequency_scaling}, {"os", m.os},
                    {"compiler", m.compiler},   {"build_type", m.build_type},
                    {"host_name", m.host_name}};
  json benchmarks = json::array();
  for (const auto& b : run.benchmarks) {
    json measures = json::array();
    for (const auto& ms : b.measures)
      measures.push_back({{"name", ms.name}, {"unit", ms.unit},
                          {"direction", DirectionName(ms.direction)}, {"samples", ms.samples}});
    benchmarks.push_back({{"suite", b.suite}, {"name", b.name}, {"params", b.params},
                          {"version_hash", b.version_hash}, {"status", BenchmarkStatusName(b.status)},
                          {"message", b.message}, {"measures", measures}});
  }
  doc["benchmarks"] = benchmarks;
  return DumpJson(doc) + "\n";
}

// nlohmann::json throws on a type mismatch deep inside (e.g. a string where
// a number belongs); every such case becomes an error naming the file.
Result<RunRecord> ParseResultJson(std::string_view text, std::string_view source) {
  try {
    return ParseResultJsonUnchecked(text, source);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string(source) + ": unexpected JSON content: " + e.what());
  }
}

}  // namespace bitgate::baselines
