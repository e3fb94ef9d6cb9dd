#include "baselines/run_record.h"

#include <openssl/evp.h>

#include <ctime>

namespace bitgate::baselines {

std::string MachineInfo::Fingerprint() const {
  // Fields joined with a separator that cannot occur in them unescaped.
  const std::string canonical = "v1\x1f" + cpu_model + "\x1f" + isa_flags + "\x1f" +
                                std::to_string(cores) + "\x1f" +
                                (frequency_scaling ? "scaling" : "fixed") + "\x1f" + os + "\x1f" +
                                compiler + "\x1f" + build_type;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

const char* BenchmarkStatusName(BenchmarkStatus s) {
  switch (s) {
    case BenchmarkStatus::kOk: return "ok";
    case BenchmarkStatus::kError: return "error";
    case BenchmarkStatus::kSkipped: return "skipped";
  }
  return "?";
}

std::string BenchmarkResult::DisplayName() const {
  return params.empty() ? name : name + " [" + params + "]";
}

size_t RunRecord::SampleCount() const {
  size_t n = 0;
  for (const auto& b : benchmarks)
    for (const auto& m : b.measures) n += m.samples.size();
  return n;
}

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace bitgate::baselines
