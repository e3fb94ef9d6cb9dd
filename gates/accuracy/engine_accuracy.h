// End-to-end accuracy: the quantized engine (Session) against the FP32
// reference forward pass (ReferenceLogits) on a fixed token stream, once per
// kernel path the machine has. Each path runs in its own child process with
// BITGATE_FORCE_ISA set, because the path is chosen once per process; a
// path that crashes, hangs or prints garbage fails on its own, even when the
// default path is fine (bitnet.cpp shipped exactly such paths).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/base/status.h"

namespace bitgate::gates::accuracy {

// Per window of the token stream: the quantized logits against the
// reference's.
struct EngineWindow {
  double top1 = 0;       // share of positions whose argmax agrees
  double mean_kl = 0;    // KL(p_ref || p_quant), nats, mean over positions
  double ppl_ref = 0, ppl_test = 0;
  double max_abs_diff = 0;
  int64_t nonfinite = 0;  // NaN/Inf logits, quantized or reference (a corrupt model's mark)
  // NaN when a perplexity is not a finite positive number (an overflowing
  // reference read back as null), so the ceiling check fails, not passes.
  double PplDiffPct() const {
    if (!(std::isfinite(ppl_ref) && ppl_ref > 0 && std::isfinite(ppl_test))) return std::nan("");
    return 100.0 * std::abs(ppl_test - ppl_ref) / ppl_ref;
  }
};

struct EngineFormatResult {
  std::string format;      // "auto" (as stored) or the repacked format
  std::string isa;         // the forced path
  std::vector<EngineWindow> windows;      // first repetition, per window
  // Per repetition, the whole stream: mean top-1 and KL over the windows,
  // perplexities as geometric means. The engine is deterministic, so these
  // are equal (checked) and are the measures' samples.
  std::vector<EngineWindow> repetitions;
  std::string logits_path; // all windows' quantized logits, float32
  std::string error;       // could not run this format on this path
  // The error came after the model loaded in this format (the reference or
  // the quantized forward pass failed): a correctness failure, not a
  // format that does not apply to the model.
  bool failed = false;
  double cross_path_max_diff = -1;  // vs the scalar path's logits (-1: not compared)
};

struct EngineFloors {
  // Over the whole token stream (the tiny synthetic model measures top-1
  // 0.95-0.97, KL ~8e-5 nats, perplexity within 0.2%; garbage gives top-1
  // near 1/n_vocab and KL near ln(n_vocab)).
  double min_top1 = 0.85;
  double max_kl = 5e-3;           // nats
  double max_ppl_diff_pct = 3.0;
  // Kernel paths compute exact integer dot products; only float epilogues
  // (summation order of scales) may differ: logits must agree to this,
  // relative to the largest |logit|.
  double max_cross_path_rel_diff = 1e-4;
};

struct EngineAccuracyOptions {
  std::string model;
  std::string self_exe;   // this executable, re-run as the child
  std::string out_dir;    // <out>/accuracy/ gets logs, child JSON and logits
  std::vector<std::string> formats = {"auto", "i2_s", "tq2_0", "tq1_0", "i2s", "tl1", "tl2"};
  int windows = 4;
  int window_tokens = 32;
  int repetitions = 10;
  // Per path. The scalar path on the `small` preset needs ~3 minutes.
  double timeout_seconds = 1200;
  // With more weights than this, only `auto` runs unless the formats were
  // chosen explicitly: every repack on the scalar path would take tens of
  // minutes, and the repacks are covered on the tiny model and by the
  // kernel tests.
  bool formats_explicit = false;
  int64_t all_formats_max_params = 20000000;
  EngineFloors floors;
};

struct EngineAccuracy {
  std::vector<EngineFormatResult> results;       // per (format, isa)
  std::vector<std::string> failures;             // correctness: exit 4
  std::vector<std::string> notes;
  std::vector<std::string> artifacts;
};

// Parent side: one child per supported path, then floors and the
// cross-path comparison.
EngineAccuracy RunEngineAccuracy(const EngineAccuracyOptions& options);

// Child side (bitgate-accuracy --engine-child): evaluates every format on
// the path this process was forced to, writes JSON to `out_json` and logits
// beside it. Returns the process exit code.
int EngineChildMain(int argc, char** argv);

}  // namespace bitgate::gates::accuracy
