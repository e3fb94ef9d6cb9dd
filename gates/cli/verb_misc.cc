// Small informational verbs: version, cpu.
#include <cstdio>
#include <cstring>

#include "kernels/cpu.h"

#ifndef BITGATE_GIT_COMMIT
#define BITGATE_GIT_COMMIT "unknown"
#endif
#ifndef BITGATE_VERSION
#define BITGATE_VERSION "0.0.0"
#endif

namespace bitgate::cli {

int RunVersion(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: bitgate version\n  Prints the version and the commit it was built from.\n");
    return 0;
  }
  if (argc > 1) {
    std::fprintf(stderr, "bitgate version: error: takes no arguments (got '%s')\n", argv[1]);
    return 2;
  }
  std::printf("bitgate %s (commit %s)\n", BITGATE_VERSION, BITGATE_GIT_COMMIT);
  return 0;
}

int RunCpu(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: bitgate cpu\n  Prints the CPU model, its SIMD features and the kernel path\n"
                "  in use (BITGATE_FORCE_ISA=scalar|avx2|avx512 forces one).\n");
    return 0;
  }
  if (argc > 1) {
    std::fprintf(stderr, "bitgate cpu: error: takes no arguments (got '%s'; see --help)\n", argv[1]);
    return 2;
  }
  const auto& cpu = kernels::GetCpuFeatures();
  std::printf("cpu:       %s\n", cpu.model_name.c_str());
  std::printf("cores:     %d logical\n", cpu.logical_cores);
  std::printf("features:  %s\n", kernels::CpuFlagsString().c_str());
  std::printf("best path: %s\n", kernels::IsaName(kernels::BestIsa()));
  auto sel = kernels::SelectedIsa();
  if (!sel.ok()) {
    std::fprintf(stderr, "bitgate cpu: error: %s\n", sel.status().message().c_str());
    return 2;
  }
  std::printf("selected:  %s\n", kernels::IsaName(*sel));
  return 0;
}

}  // namespace bitgate::cli
