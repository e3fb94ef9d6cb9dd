#include "reports/pipeline_record.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "kernels/base/json.h"

namespace bitgate::reports {

using nlohmann::json;

namespace {

constexpr const char* kStatusNames[] = {"pass",    "regression", "error",   "undecided",
                                        "correctness failure", "crashed", "timeout", "missing"};

Status EnsureTable(baselines::Store& store) {
  return store.db().Exec(
      "CREATE TABLE IF NOT EXISTS pipeline_run ("
      " id INTEGER PRIMARY KEY,"
      " branch TEXT NOT NULL,"
      " commit_sha TEXT NOT NULL,"
      " started_at TEXT NOT NULL,"
      " exit_code INTEGER NOT NULL,"
      " record_json TEXT NOT NULL)");
}

}  // namespace

const char* GateStatusName(GateStatus s) { return kStatusNames[static_cast<int>(s)]; }

GateStatus GateStatusFromName(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kStatusNames)); ++i)
    if (name == kStatusNames[i]) return static_cast<GateStatus>(i);
  return GateStatus::kError;
}

GateStatus GateStatusOf(int exit_code, int signal, bool timed_out) {
  if (timed_out) return GateStatus::kTimeout;
  if (signal) return GateStatus::kCrashed;
  switch (exit_code) {
    case 0: return GateStatus::kPass;
    case 1: return GateStatus::kRegression;
    case 2: return GateStatus::kError;
    case 3: return GateStatus::kUndecided;
    case 4: return GateStatus::kCorrectness;
    default: return GateStatus::kCrashed;  // outside the contract: treat as a crash
  }
}

int GateStatusExitCode(GateStatus s) {
  switch (s) {
    case GateStatus::kPass: return 0;
    case GateStatus::kRegression: return 1;
    case GateStatus::kUndecided: return 3;
    case GateStatus::kCorrectness: return 4;
    case GateStatus::kError:
    case GateStatus::kCrashed:
    case GateStatus::kTimeout:
    case GateStatus::kMissing: return 2;  // no verdict from that gate
  }
  return 2;
}

int MostSevereExitCode(int a, int b) {
  auto rank = [](int c) {
    switch (c) {
      case 0: return 0;
      case 3: return 1;
      case 1: return 2;
      case 4: return 3;
      default: return 4;  // 2 and anything outside the contract
    }
  };
  const int worst = rank(a) >= rank(b) ? a : b;
  return rank(worst) == 4 ? 2 : worst;
}

int PipelineExitCode(const std::vector<PipelineGate>& gates) {
  int code = 0;
  for (const auto& g : gates) code = MostSevereExitCode(code, GateStatusExitCode(g.status));
  return code;
}

std::string PipelineRecordJson(const PipelineRecord& r) {
  json gates = json::array();
  for (const auto& g : r.gates) {
    gates.push_back({{"gate", g.gate},
                     {"executable", g.executable},
                     {"status", GateStatusName(g.status)},
                     {"process", g.process},
                     {"seconds", g.seconds},
                     {"run_id", g.run_id},
                     {"out_dir", g.out_dir},
                     {"output_tail", g.output_tail},
                     {"receipts_verified", g.receipts_verified},
                     {"receipt_failures", g.receipt_failures}});
  }
  json hops = json::array();
  for (const auto& h : r.hops) hops.push_back({{"at", h.at}, {"event", h.event}});
  const json j{{"format", "bitgate-pipeline"}, {"version", 1},           {"id", r.id},
               {"branch", r.branch},           {"commit", r.commit},     {"merge_base", r.merge_base},
               {"baseline_branch", r.baseline_branch},                   {"started_at", r.started_at},
               {"ended_at", r.ended_at},       {"exit_code", r.exit_code}, {"strict", r.strict},
               {"ab", r.ab},                   {"command", r.command},   {"db", r.db},
               {"gates", gates},               {"hops", hops}};
  return DumpJson(j) + "\n";
}

Result<PipelineRecord> ParsePipelineRecord(std::string_view text, std::string_view source) {
  const std::string src(source);
  auto parsed = ParseJson(text, src);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  if (!j.is_object()) return Status::Error(src + ": not a JSON object");
  if (JsonMember(j, "format") != "bitgate-pipeline")
    return Status::Error(src + ": format is not \"bitgate-pipeline\"");
  const json& gates = JsonMember(j, "gates");
  const json& hops = JsonMember(j, "hops");
  if (!gates.is_null() && !gates.is_array()) return Status::Error(src + ": 'gates' is not an array");
  if (!hops.is_null() && !hops.is_array()) return Status::Error(src + ": 'hops' is not an array");
  std::string where;  // the element being read, for a type error
  try {
    PipelineRecord r;
    r.id = j.value("id", int64_t{0});
    r.branch = j.at("branch").get<std::string>();
    r.commit = j.at("commit").get<std::string>();
    r.merge_base = j.value("merge_base", "");
    r.baseline_branch = j.value("baseline_branch", "main");
    r.started_at = j.value("started_at", "");
    r.ended_at = j.value("ended_at", "");
    // The exit status `bitgate report` returns: 256 would exit 0.
    auto exit_code = JsonInteger(j, "exit_code", 0, 255, src, 0);
    if (!exit_code.ok()) return exit_code.status();
    r.exit_code = static_cast<int>(*exit_code);
    r.strict = j.value("strict", false);
    r.ab = j.value("ab", false);
    r.command = j.value("command", "");
    r.db = j.value("db", std::string(baselines::kDefaultDbPath));
    for (size_t i = 0; i < gates.size(); ++i) {
      const json& g = gates[i];
      where = " gates[" + std::to_string(i) + "]";
      PipelineGate pg;
      pg.gate = g.at("gate").get<std::string>();
      pg.executable = g.value("executable", "");
      pg.status = GateStatusFromName(g.value("status", "error"));
      pg.process = g.value("process", "");
      pg.seconds = g.value("seconds", 0.0);
      pg.run_id = g.value("run_id", int64_t{0});
      pg.out_dir = g.value("out_dir", "");
      pg.output_tail = g.value("output_tail", "");
      pg.receipts_verified = g.value("receipts_verified", 0);
      pg.receipt_failures = g.value("receipt_failures", std::vector<std::string>{});
      r.gates.push_back(std::move(pg));
    }
    for (size_t i = 0; i < hops.size(); ++i) {
      where = " hops[" + std::to_string(i) + "]";
      r.hops.push_back({hops[i].value("at", ""), hops[i].value("event", "")});
    }
    return r;
  } catch (const json::exception& e) {
    return Status::Error(src + where + ": " + e.what());
  }
}

Status UpdatePipelineRecord(baselines::Store& store, const PipelineRecord& record) {
  if (record.id <= 0) return Status::Error("updating a pipeline record that was never stored");
  auto txn = baselines::Transaction::Begin(store.db());
  if (!txn.ok()) return txn.status().WithContext("updating the pipeline record");
  auto upd = store.db().Prepare("UPDATE pipeline_run SET exit_code = ?, record_json = ? WHERE id = ?");
  if (!upd.ok()) return upd.status();
  const std::string text = PipelineRecordJson(record);
  upd->Bind(1, int64_t{record.exit_code}).Bind(2, std::string_view(text)).Bind(3, record.id);
  Status s = upd->Run();
  if (!s.ok()) return s.WithContext("updating the pipeline record");
  return (*txn)->Commit();
}

PipelineRecord AsStored(const PipelineRecord& record) {
  auto stored = ParsePipelineRecord(PipelineRecordJson(record), "pipeline record");
  return stored.ok() ? *stored : record;
}

Result<int64_t> SavePipelineRecord(baselines::Store& store, const PipelineRecord& record) {
  Status s = EnsureTable(store);
  if (!s.ok()) return s.WithContext("creating table pipeline_run");
  auto txn = baselines::Transaction::Begin(store.db());
  if (!txn.ok()) return txn.status().WithContext("storing the pipeline record");
  auto ins = store.db().Prepare(
      "INSERT INTO pipeline_run(branch, commit_sha, started_at, exit_code, record_json) VALUES (?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  const std::string text = PipelineRecordJson(record);
  ins->Bind(1, record.branch).Bind(2, record.commit).Bind(3, record.started_at);
  ins->Bind(4, int64_t{record.exit_code}).Bind(5, std::string_view(text));
  s = ins->Run();
  if (!s.ok()) return s.WithContext("storing the pipeline record");
  const int64_t id = store.db().LastInsertId();
  // The record names its own id, so a re-render shows the same number.
  PipelineRecord with_id = record;
  with_id.id = id;
  auto upd = store.db().Prepare("UPDATE pipeline_run SET record_json = ? WHERE id = ?");
  if (!upd.ok()) return upd.status();
  const std::string text2 = PipelineRecordJson(with_id);
  upd->Bind(1, std::string_view(text2)).Bind(2, id);
  s = upd->Run();
  if (!s.ok()) return s;
  s = (*txn)->Commit();
  if (!s.ok()) return s;
  return id;
}

Result<PipelineRecord> LoadPipelineRecord(baselines::Store& store, int64_t id) {
  Status s = EnsureTable(store);
  if (!s.ok()) return s;
  auto sel = store.db().Prepare("SELECT record_json FROM pipeline_run WHERE id = ?");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, id);
  auto row = sel->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Error("no pipeline run with id " + std::to_string(id) + " in " + store.db().path());
  return ParsePipelineRecord(sel->Text(0), "database " + store.db().path() + ": pipeline_run " + std::to_string(id));
}

Result<std::optional<int64_t>> LatestPipelineId(baselines::Store& store, const std::string& branch) {
  Status s = EnsureTable(store);
  if (!s.ok()) return s;
  auto sel = store.db().Prepare("SELECT id FROM pipeline_run WHERE branch = ? ORDER BY id DESC LIMIT 1");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, branch);
  auto row = sel->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(sel->Int(0));
}

Result<std::vector<PipelineRecord>> RecentPipelines(baselines::Store& store, const std::string& branch, int limit) {
  Status s = EnsureTable(store);
  if (!s.ok()) return s;
  auto sel = store.db().Prepare(
      "SELECT id, record_json FROM pipeline_run WHERE (? = '' OR branch = ?) ORDER BY id DESC LIMIT ?");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, branch).Bind(2, branch).Bind(3, int64_t{limit});
  std::vector<PipelineRecord> out;
  for (;;) {
    auto row = sel->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto r = ParsePipelineRecord(sel->Text(1),
                                 "database " + store.db().path() + ": pipeline_run " + std::to_string(sel->Int(0)));
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

std::string NowUtcMillis() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace bitgate::reports
