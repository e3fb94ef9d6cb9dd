// Receipts: evidence of what a generation actually ran, and its checker.
//
// A receipt records the model file's digest and shapes, the weight format,
// the kernel implementations the kernels' own counters saw (with row-chunk
// counts), threads, the CPU, the prompt and output token ids with their
// digest, per-phase timings and the build commit. VerifyReceipt re-checks
// what it can instead of trusting it (docs/ENGINE.md, "Receipts").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/generate.h"
#include "engine/model.h"
#include "kernels/base/status.h"

namespace bitgate::engine {

inline constexpr const char* kReceiptSchema = "bitgate.receipt/1";

// SHA-256 of the token ids as little-endian int32.
std::string TokenDigest(const std::vector<int32_t>& ids);

// Builds the receipt of one generation. `model_sha256` may be computed
// once by the caller (hashing a 1 GB file costs about a second).
nlohmann::json MakeReceipt(const Model& model, const std::string& model_sha256, const GenerateOptions& opts,
                           const GenerateResult& result);

struct VerifyOptions {
  std::string model_path;  // re-hash and compare; empty: use the receipt's path if it exists
  bool replay = false;     // re-run the generation and compare the tokens
};

struct VerifyReport {
  std::vector<std::string> checks;    // what passed, one line each
  std::vector<std::string> failures;  // what did not
  std::vector<std::string> notes;     // what was not or could not be checked
  bool ok() const { return failures.empty(); }
};

// Structural errors (not JSON, wrong schema, missing fields) are a Status;
// a well-formed receipt whose claims do not hold yields failures.
Result<VerifyReport> VerifyReceipt(const nlohmann::json& receipt, const VerifyOptions& opts);

}  // namespace bitgate::engine
