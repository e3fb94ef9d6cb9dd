#include "reports/gate_outcome.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "kernels/base/json.h"

namespace bitgate::reports {

using nlohmann::json;

namespace {

json SloJson(const SloResult& s) {
  return json{{"name", s.name},     {"unit", s.unit},     {"value", s.value},     {"target", s.target},
              {"op", s.op},         {"source", s.source}, {"skipped", s.skipped}, {"passed", s.passed},
              {"note", s.note}};
}

// A number, or NaN where the writer put null (NaN, Inf) or nothing.
double NumberOrNan(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::numeric_limits<double>::quiet_NaN();
  return it->get<double>();
}

}  // namespace

std::string GateOutcomeJson(const GateOutcome& o) {
  json slos = json::array();
  for (const auto& s : o.slos) slos.push_back(SloJson(s));
  const json j{{"format", "bitgate-gate-outcome"},
               {"version", 1},
               {"gate", o.gate},
               {"exit_code", o.exit_code},
               {"run_id", o.run_id},
               {"baseline_run_ids", o.baseline_run_ids},
               {"baseline_source", o.baseline_source},
               {"baseline_note", o.baseline_note},
               {"error", o.error},
               {"correctness_failures", o.correctness_failures},
               {"slos", slos},
               {"artifacts", o.artifacts},
               {"notes", o.notes},
               {"command_line", o.command_line},
               {"delta", o.delta},
               {"alpha", o.alpha},
               {"min_samples", o.min_samples},
               {"cv_ceiling", o.cv_ceiling},
               {"seed", o.seed}};
  return DumpJson(j) + "\n";
}

Result<GateOutcome> ParseGateOutcome(std::string_view text, std::string_view source) {
  const std::string src(source);
  auto parsed = ParseJson(text, src);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object()) return Status::Error(src + ": not a JSON object");
  if (JsonMember(j, "format") != "bitgate-gate-outcome")
    return Status::Error(src + ": format is not \"bitgate-gate-outcome\"");
  const json& slos = JsonMember(j, "slos");
  if (!slos.is_null() && !slos.is_array()) return Status::Error(src + ": 'slos' is not an array");
  auto exit_code = JsonInteger(j, "exit_code", 0, 255, src);
  if (!exit_code.ok()) return exit_code.status();
  std::string where;  // the element being read, for a type error
  try {
    GateOutcome o;
    o.gate = j.at("gate").get<std::string>();
    o.exit_code = static_cast<int>(*exit_code);
    o.run_id = j.value("run_id", int64_t{0});
    o.baseline_run_ids = j.value("baseline_run_ids", std::vector<int64_t>{});
    o.baseline_source = j.value("baseline_source", "");
    o.baseline_note = j.value("baseline_note", "");
    o.error = j.value("error", "");
    o.correctness_failures = j.value("correctness_failures", std::vector<std::string>{});
    o.artifacts = j.value("artifacts", std::vector<std::string>{});
    o.notes = j.value("notes", std::vector<std::string>{});
    o.command_line = j.value("command_line", "");
    o.delta = j.value("delta", 0.05);
    o.alpha = j.value("alpha", 0.05);
    o.min_samples = j.value("min_samples", 5);
    o.cv_ceiling = j.value("cv_ceiling", 0.10);
    o.seed = j.value("seed", uint64_t{20240601});
    for (size_t i = 0; i < slos.size(); ++i) {
      const json& s = slos[i];
      where = " slos[" + std::to_string(i) + "]";
      SloResult r;
      r.name = s.at("name").get<std::string>();
      r.unit = s.value("unit", "");
      // NaN and Inf are written as null (JSON has no such numbers).
      r.value = NumberOrNan(s, "value");
      r.target = NumberOrNan(s, "target");
      r.op = s.value("op", "<=");
      r.source = s.value("source", "");
      r.skipped = s.value("skipped", false);
      r.passed = s.value("passed", false);
      r.note = s.value("note", "");
      o.slos.push_back(std::move(r));
    }
    return o;
  } catch (const json::exception& e) {
    return Status::Error(src + where + ": " + e.what());
  }
}

Status EnsureGateOutcomeTable(baselines::Store& store) {
  // Keyed by the run; deleted with it (foreign keys are on in Database).
  return store.db().Exec(
      "CREATE TABLE IF NOT EXISTS gate_outcome ("
      " run_id INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,"
      " gate TEXT NOT NULL,"
      " exit_code INTEGER NOT NULL,"
      " outcome_json TEXT NOT NULL)");
}

Status SaveGateOutcome(baselines::Store& store, const GateOutcome& outcome) {
  if (outcome.run_id <= 0) return Status::Error("gate outcome of '" + outcome.gate + "' has no stored run");
  Status s = EnsureGateOutcomeTable(store);
  if (!s.ok()) return s.WithContext("creating table gate_outcome");
  auto txn = baselines::Transaction::Begin(store.db());
  if (!txn.ok()) return txn.status().WithContext("storing the gate outcome");
  auto ins = store.db().Prepare(
      "INSERT OR REPLACE INTO gate_outcome(run_id, gate, exit_code, outcome_json) VALUES (?,?,?,?)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, outcome.run_id).Bind(2, outcome.gate).Bind(3, int64_t{outcome.exit_code});
  const std::string text = GateOutcomeJson(outcome);
  ins->Bind(4, std::string_view(text));
  s = ins->Run();
  if (!s.ok()) return s.WithContext("storing the gate outcome of run " + std::to_string(outcome.run_id));
  return (*txn)->Commit();
}

Result<GateOutcome> LoadGateOutcome(baselines::Store& store, int64_t run_id) {
  Status s = EnsureGateOutcomeTable(store);
  if (!s.ok()) return s;
  auto sel = store.db().Prepare("SELECT outcome_json FROM gate_outcome WHERE run_id = ?");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, run_id);
  auto row = sel->Step();
  if (!row.ok()) return row.status();
  if (!*row)
    return Status::Error("run " + std::to_string(run_id) + " has no gate outcome in " + store.db().path());
  return ParseGateOutcome(sel->Text(0),
                          "database " + store.db().path() + ": gate_outcome of run " + std::to_string(run_id));
}

}  // namespace bitgate::reports
