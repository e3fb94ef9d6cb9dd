#include "kernels/cpu.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

namespace bitgate::kernels {
namespace {

uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

std::string ReadModelName() {
  // Brand string from cpuid leaves 0x80000002..4 (no /proc dependency).
  unsigned int max_ext = __get_cpuid_max(0x80000000, nullptr);
  if (max_ext < 0x80000004) return "unknown";
  char brand[49] = {};
  for (unsigned int i = 0; i < 3; ++i) {
    unsigned int r[4];
    __cpuid(0x80000002 + i, r[0], r[1], r[2], r[3]);
    std::memcpy(brand + 16 * i, r, 16);
  }
  std::string s(brand);
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "unknown" : s.substr(b, e - b + 1);
}

CpuFeatures Detect() {
  CpuFeatures f;
  unsigned int a = 0, b = 0, c = 0, d = 0;
  unsigned int max_leaf = __get_cpuid_max(0, nullptr);
  __cpuid(0, a, b, c, d);
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;
  f.model_name = ReadModelName();
  f.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  if (max_leaf < 1) return f;
  __cpuid(1, a, b, c, d);
  const bool osxsave = (c >> 27) & 1;
  const bool has_fma = (c >> 12) & 1;
  const bool has_f16c = (c >> 29) & 1;
  const bool has_avx = (c >> 28) & 1;
  uint64_t xcr0 = osxsave ? ReadXcr0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  if (max_leaf < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const bool ymm = has_avx && os_ymm;
  f.avx2 = ymm && ((b >> 5) & 1);
  f.fma = ymm && has_fma;
  f.f16c = ymm && has_f16c;
  f.avx512f = os_zmm && ((b >> 16) & 1);
  f.avx512bw = os_zmm && ((b >> 30) & 1);
  f.avx512dq = os_zmm && ((b >> 17) & 1);
  f.avx512vl = os_zmm && ((b >> 31) & 1);
  f.avx512vnni = os_zmm && ((c >> 11) & 1);
  f.avx512vbmi = os_zmm && ((c >> 1) & 1);
  f.avx512bitalg = os_zmm && ((c >> 12) & 1);
  __cpuid_count(7, 1, a, b, c, d);
  f.avx_vnni = ymm && ((a >> 4) & 1);
  f.avx512bf16 = os_zmm && ((a >> 5) & 1);
  return f;
}

}  // namespace

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

const char* IsaKernelSuffix(Isa isa) {
  return isa == Isa::kAvx512 ? "avx512vnni" : IsaName(isa);
}

std::optional<Isa> IsaFromName(std::string_view name) {
  if (name == "scalar") return Isa::kScalar;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "avx512" || name == "avx512vnni") return Isa::kAvx512;
  return std::nullopt;
}

bool IsaSupported(Isa isa) {
  const CpuFeatures& f = GetCpuFeatures();
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return f.avx2 && f.fma && f.f16c;
    case Isa::kAvx512:
      // DQ too: the AVX-512 files are built with it (every VNNI core has it).
      return IsaSupported(Isa::kAvx2) && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
  }
  return false;
}

bool Avx512VbmiTlSupported() {
  const CpuFeatures& f = GetCpuFeatures();
  return IsaSupported(Isa::kAvx512) && f.avx512vbmi && f.avx512bitalg;
}

Isa BestIsa() {
  if (IsaSupported(Isa::kAvx512)) return Isa::kAvx512;
  if (IsaSupported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

std::string ForcedIsaSetting(const char* value) {
  if (value == nullptr || *value == '\0') return IsaName(BestIsa());
  const auto isa = IsaFromName(value);
  return isa ? std::string(IsaName(*isa)) : std::string("unknown ") + value;
}

Result<Isa> SelectedIsa() {
  static const Result<Isa> selected = []() -> Result<Isa> {
    const char* env = std::getenv("BITGATE_FORCE_ISA");
    if (env == nullptr || *env == '\0') return BestIsa();
    auto isa = IsaFromName(env);
    if (!isa) {
      return Status::Error(std::string("BITGATE_FORCE_ISA='") + env +
                           "' is not a kernel path (expected scalar, avx2 or avx512)");
    }
    if (!IsaSupported(*isa)) {
      return Status::Error(std::string("BITGATE_FORCE_ISA=") + env +
                           " but this CPU does not support it (features: " + CpuFlagsString() +
                           ")");
    }
    return *isa;
  }();
  return selected;
}

namespace {

std::string FlagList(bool with_tl_extras) {
  const CpuFeatures& f = GetCpuFeatures();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx_vnni, "avxvnni");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bf16, "avx512bf16");
  if (with_tl_extras) {  // (flags added since the fingerprint's list was fixed)
    add(f.avx512dq, "avx512dq");
    add(f.avx512vbmi, "avx512vbmi");
    add(f.avx512bitalg, "avx512bitalg");
  }
  return s.empty() ? "none" : s;
}

}  // namespace

std::string CpuFlagsString() { return FlagList(true); }

std::string CpuFingerprintFlags() { return FlagList(false); }

}  // namespace bitgate::kernels
