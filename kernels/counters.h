// Which kernel implementations actually ran, and how often.
//
// Every dispatched entry point bumps a counter named
// "<op>.<format>.<isa>", e.g. "matmul.tq2_0.avx512vnni". The engine copies a
// snapshot into its receipts, so a receipt proves which code ran.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace bitgate::kernels {

std::map<std::string, uint64_t> KernelCounterSnapshot();  // non-zero counters only
void ResetKernelCounters();

}  // namespace bitgate::kernels
