// CPU feature detection and kernel path (ISA) selection.
//
// The CPU is queried once per process. BITGATE_FORCE_ISA=scalar|avx2|avx512
// forces a path; forcing a path the CPU lacks is an error (reported by
// SelectedIsa()), never a silent fallback.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kernels/base/status.h"

namespace bitgate::kernels {

// Ordered from least to most capable.
enum class Isa : uint8_t {
  kScalar = 0,
  kAvx2 = 1,    // AVX2 + FMA + F16C
  kAvx512 = 2,  // AVX-512 F, BW, VL, VNNI (vpdpbusd)
};
inline constexpr int kIsaCount = 3;

struct CpuFeatures {
  std::string vendor;
  std::string model_name;
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false, avx512dq = false;
  bool avx512bf16 = false, avx_vnni = false;
  bool avx512vbmi = false, avx512bitalg = false;  // vpermb; vpshufbitqmb
  int logical_cores = 0;
};

// Queried once (cpuid + xgetbv), cached.
const CpuFeatures& GetCpuFeatures();

// "scalar", "avx2", "avx512".
const char* IsaName(Isa isa);
// Name used in kernel ids: "scalar", "avx2", "avx512vnni".
const char* IsaKernelSuffix(Isa isa);
std::optional<Isa> IsaFromName(std::string_view name);

// Whether this CPU (and OS, via XCR0) can run the path.
bool IsaSupported(Isa isa);
// The best path this CPU supports.
Isa BestIsa();
// Whether the AVX-512 path's TL1/TL2 kernels take their VBMI form (vpermb
// and vpshufbitqmb, Ice Lake / Zen 4 and later) rather than the vpshufb one.
// Both are AVX-512 path kernels with the same counter ids; the receipt's CPU
// flags (CpuFlagsString) tell which ran.
bool Avx512VbmiTlSupported();

// The path the dispatcher uses: BITGATE_FORCE_ISA if set (error if unknown
// or unsupported), else BestIsa(). Evaluated once.
Result<Isa> SelectedIsa();
// What a process whose BITGATE_FORCE_ISA is `value` (nullptr: unset) runs,
// as one word for build fingerprints: unset and empty are the best path,
// and "avx512vnni" is "avx512"; a value no process accepts stays as written.
std::string ForcedIsaSetting(const char* value);

// Short ISA feature list, e.g. "avx2 fma f16c avx512f avx512bw avx512vl
// avx512vnni avx512vbmi avx512bitalg": what receipts and `bitgate cpu` show.
std::string CpuFlagsString();
// The same list without the flags added after stores held runs (avx512vbmi,
// avx512bitalg): the machine fingerprint's, so a bitgate update does not
// orphan stored baselines. The CPU model, also in the fingerprint, already
// tells those flags apart.
std::string CpuFingerprintFlags();

}  // namespace bitgate::kernels
