#include "kernels/dispatch.h"

#include "kernels/internal/kernel_table.h"

namespace bitgate::kernels {
namespace internal {
namespace {

const KernelSet* Table(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return kScalarKernels;
    case Isa::kAvx2: return kAvx2Kernels;
    case Isa::kAvx512: return kAvx512Kernels;
  }
  return kScalarKernels;
}

// Walks down from `isa` to the first table with an entry; the scalar table
// is complete, so this always finds one.
template <typename Fn>
Fn Find(Format f, Isa isa, Isa* used, Fn KernelSet::*member) {
  for (int i = static_cast<int>(isa); i >= 0; --i) {
    const auto level = static_cast<Isa>(i);
    if (Fn fn = Table(level)[static_cast<int>(f)].*member) {
      *used = level;
      return fn;
    }
  }
  BITGATE_CHECK(false && "scalar kernel table is incomplete");
  return nullptr;
}

}  // namespace

QuantizeFn FindQuantize(Format f, Isa isa, Isa* used) { return Find(f, isa, used, &KernelSet::quantize); }
DequantizeFn FindDequantize(Format f, Isa isa, Isa* used) {
  return Find(f, isa, used, &KernelSet::dequantize);
}
MatmulFn FindMatmul(Format f, Isa isa, Isa* used) { return Find(f, isa, used, &KernelSet::matmul); }

}  // namespace internal

Isa ImplementedIsa(KernelOp op, Format f, Isa requested) {
  Isa used = Isa::kScalar;
  switch (op) {
    case KernelOp::kQuantize: internal::FindQuantize(f, requested, &used); break;
    case KernelOp::kDequantize: internal::FindDequantize(f, requested, &used); break;
    case KernelOp::kGemv:
    case KernelOp::kGemm: internal::FindMatmul(f, requested, &used); break;
  }
  return used;
}

}  // namespace bitgate::kernels
