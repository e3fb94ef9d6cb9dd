#include "gates/throughput/kernel_bench.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "baselines/ingest_gbench.h"
#include "gates/cli/store_cli.h"
#include "gates/subprocess.h"

namespace bitgate::gates {

namespace fs = std::filesystem;

std::string KernelBenchExeBeside(const std::string& dir) {
  if (dir.empty()) return "";
  for (const char* rel : {"bitgate-bench-kernels", "../../kernels/bench/bitgate-bench-kernels",
                          "../kernels/bench/bitgate-bench-kernels"}) {
    const fs::path p = fs::path(dir) / rel;
    if (access(p.c_str(), X_OK) == 0) return fs::weakly_canonical(p).string();
  }
  return "";
}

std::string FindKernelBenchExe() {
  if (std::string beside = KernelBenchExeBeside(SelfDir()); !beside.empty()) return beside;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      const fs::path p = fs::path(dir) / "bitgate-bench-kernels";
      if (!dir.empty() && access(p.c_str(), X_OK) == 0) return p.string();
    }
  }
  return "";
}

Result<std::vector<baselines::BenchmarkResult>> RunKernelBench(const KernelBenchOptions& o,
                                                               std::vector<std::string>* warnings) {
  if (o.exe.empty()) return Status::Error("no bitgate-bench-kernels found (give --bench-exe PATH)");
  if (o.repetitions < 1) return Status::Error("kernel repetitions must be >= 1");
  char min_time[32];
  std::snprintf(min_time, sizeof min_time, "%g", o.min_time);
  ProcessOptions p;
  p.argv = {o.exe,
            "--benchmark_filter=" + o.filter,
            "--benchmark_repetitions=" + std::to_string(o.repetitions),
            "--benchmark_enable_random_interleaving=true",
            std::string("--benchmark_min_time=") + min_time,
            "--benchmark_format=json"};
  p.env = o.env;
  p.timeout_seconds = o.timeout_seconds;
  p.stdout_file = o.json_out;
  p.output_file = o.log_out;
  auto r = RunProcess(p);
  if (!r.ok()) return r.status();
  if (r->Code() != 0) {
    return Status::Error(o.exe + " failed (" + r->Describe() + "): " + FileTail(o.log_out, 5));
  }
  auto text = cli::ReadTextFile(o.json_out);
  if (!text.ok()) return text.status();
  baselines::GbenchOptions g;
  g.suite = "kernels";
  g.live_machine = cli::LiveMachine();
  baselines::IngestReport report;
  auto run = baselines::ParseGbenchJson(*text, o.json_out, g, &report);
  if (!run.ok()) return run.status().WithContext("filter '" + o.filter + "' (does it match any benchmark?)");
  if (warnings)
    for (const auto& w : report.warnings) warnings->push_back(w);
  std::vector<baselines::BenchmarkResult> out = std::move(run->benchmarks);
  // Rates (items/s, bytes/s) are the times restated; testing both would
  // double-count every change in the multiple-comparison family.
  for (auto& b : out) {
    b.suite = "kernels";
    std::erase_if(b.measures, [&](const baselines::MeasureSamples& m) {
      return std::find(o.measures.begin(), o.measures.end(), m.name) == o.measures.end();
    });
  }
  return out;
}

void AppendSamples(std::vector<baselines::BenchmarkResult>& into,
                   const std::vector<baselines::BenchmarkResult>& from) {
  for (const auto& b : from) {
    auto it = std::find_if(into.begin(), into.end(), [&](const baselines::BenchmarkResult& x) {
      return x.suite == b.suite && x.name == b.name && x.params == b.params;
    });
    if (it == into.end()) {
      into.push_back(b);
      continue;
    }
    if (b.status != baselines::BenchmarkStatus::kOk) {
      it->status = b.status;
      it->message = b.message;
    }
    for (const auto& m : b.measures) {
      auto mt = std::find_if(it->measures.begin(), it->measures.end(),
                             [&](const baselines::MeasureSamples& x) { return x.name == m.name && x.unit == m.unit; });
      if (mt == it->measures.end()) {
        it->measures.push_back(m);
      } else {
        mt->samples.insert(mt->samples.end(), m.samples.begin(), m.samples.end());
      }
    }
  }
}

}  // namespace bitgate::gates
