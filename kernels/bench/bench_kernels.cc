// Kernel benchmarks: bitgate-bench-kernels (issue 2, section 5).
//
//   quantize/<format>/<n>, dequantize/<format>/<n>
//       float -> format -> float on the dispatched path (SelectedIsa; set
//       BITGATE_FORCE_ISA=scalar|avx2 to measure a lower path), n = 256 ..
//       262144 elements (1 KiB .. 1 MiB of floats). items = elements,
//       bytes = float bytes.
//   dot/<format>/<isa>/<n>
//       one weight row of n weights (TL formats: one 16-row tile of n/16
//       columns, their smallest unit) against one token, data in cache.
//       items = weights, bytes = weight bytes.
//   gemv/<format>/<isa>/<rows>x<cols>[x<count>]
//       the 2B model's decode shapes, one token. With x<count>, iterations
//       cycle through `count` distinct matrices so the weights stream from
//       DRAM as in a real decode step. items = weights, bytes = weight bytes.
//   gemm/<format>/<isa>/<rows>x<cols>/t<tokens>
//       prefill of 8 or 32 tokens. items = weights x tokens (MACs),
//       bytes = weight bytes (read once per call).
//   membw/read
//       single-core streaming read bandwidth over 256 MiB, the yardstick
//       for the DRAM-bound GEMV rows (ci/bench-summary prints the ratio).
//   peak/<instruction>/<bits>
//       throughput of vpmaddubsw (AVX2) and vpdpbusd (AVX-512 VNNI, 256
//       and 512 bits), the multiplies the integer kernels are bound by.
//       items = instructions.
//   peak/tq1_0-step/512
//       the TQ1_0 kernel's arithmetic alone (two vpdpbusd and two byte
//       additions per 64 weights, in registers): its ceiling. items =
//       weights, bytes = their TQ1_0 bytes (ci/bench-summary: % membw).
//
// <isa> is the path requested from MatmulWith; the label "ran=<isa>" names
// the path that actually ran, which is lower where a format has no SIMD
// kernel yet ("fallback").
//
// The whole suite is several hundred benchmarks; typical runs:
//   bitgate-bench-kernels --benchmark_min_time=0.1            # everything, a few minutes
//   bitgate-bench-kernels --benchmark_filter='tq2_0|membw'   # one format + yardstick
//   bitgate-bench-kernels --benchmark_filter='^(membw|gemv/.*x16$)'  # decode vs. DRAM
//   bitgate-bench-kernels --benchmark_filter=gemv --benchmark_repetitions=5
//       --benchmark_out=k.json --benchmark_out_format=json && ci/bench-summary k.json
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/dispatch.h"
#include "kernels/format.h"
#include "kernels/matmul.h"
#include "kernels/patterns.h"
#include "kernels/quant.h"

namespace bitgate::kernels {
namespace {

// 1 KiB .. 1 MiB of float input.
constexpr int64_t kSizes[] = {256, 1024, 4096, 16384, 65536, 262144};

struct Shape {
  int64_t rows, cols, count;
};
// BitNet b1.58 2B-4T projections (hidden 2560, FFN 6912, 640 = K/V with
// GQA). count > 1 is the DRAM-streaming variant: 16 x 6912x2560 is ~73 MB
// of TQ2_0, twice a 32 MiB L3.
constexpr Shape kGemvShapes[] = {{2560, 2560, 1}, {640, 2560, 1},   {6912, 2560, 1},
                                 {2560, 6912, 1}, {6912, 2560, 16}, {2560, 6912, 16}};
constexpr int64_t kGemmTokens[] = {8, 32};

// The membw buffer: far beyond any L3, so every pass streams from DRAM.
constexpr int64_t kMembwBytes = int64_t{256} << 20;

// 64-byte aligned, so weight matrices start on cache lines like a model's
// tensors (GGUF aligns them to 32) and AVX-512 loads never split lines.
struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t[], FreeDeleter>;

int64_t RoundUp64(int64_t n) { return (n + 63) / 64 * 64; }

AlignedBuffer AllocAligned(int64_t bytes) {
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, static_cast<size_t>(RoundUp64(bytes))));
  BITGATE_CHECK(p != nullptr);
  return AlignedBuffer(p);
}

// A 64-byte aligned copy of `v`: heap vectors are only 16-byte aligned,
// and where one lands varies from process to process, so a kernel's 64-byte
// stores would split cache lines in some processes and not others (a
// between-process speed difference of up to ~20% seen on dequantize).
template <typename T>
struct AlignedArray {
  AlignedBuffer buf;
  int64_t n = 0;
  T* data() const { return reinterpret_cast<T*>(buf.get()); }
  std::span<T> span() const { return {data(), static_cast<size_t>(n)}; }
};

template <typename T>
AlignedArray<T> MakeAligned(int64_t n, const T* init = nullptr) {
  AlignedArray<T> a{AllocAligned(n * static_cast<int64_t>(sizeof(T))), n};
  if (init) {
    std::memcpy(a.data(), init, static_cast<size_t>(n) * sizeof(T));
  } else {
    std::memset(a.data(), 0, static_cast<size_t>(n) * sizeof(T));
  }
  return a;
}

Isa DispatchedIsa() {
  auto isa = SelectedIsa();
  return isa.ok() ? *isa : Isa::kScalar;
}

// "ran=avx2", with " fallback" when that is not the requested path.
std::string RanLabel(KernelOp op, Format f, Isa requested) {
  const Isa used = ImplementedIsa(op, f, requested);
  std::string label = std::string("ran=") + IsaName(used);
  if (used != requested) label += " fallback";
  return label;
}

// The smallest legal shape holding n elements: one row, or for the tiled
// TL formats one 16-row tile.
Shape RowShape(Format f, int64_t n) {
  const int64_t rows = Info(f).row_tile;
  return {rows, n / rows, 1};
}

bool ShapeOk(Format f, const Shape& s) { return ValidateShape(f, s.rows, s.cols).ok(); }

// `count` quantized copies of a [rows][cols] matrix, each from different
// gaussian data, `stride` bytes apart.
struct WeightSet {
  int64_t bytes = 0;   // of one matrix
  int64_t stride = 0;  // bytes between matrices (bytes rounded to 64)
  int64_t count = 0;
  AlignedBuffer data;
  std::string error;  // set when quantization failed
  const uint8_t* matrix(int64_t i) const { return data.get() + i * stride; }
};

// Gaussian data for the weight sets. Box-Muller costs ~30 ns an element,
// so 16 x 17.7M fresh draws per set would add minutes to the suite; one
// draw per size is cached and each matrix takes a different rotation of it.
const std::vector<float>& GaussianBase(int64_t n) {
  static std::vector<float> base;
  if (static_cast<int64_t>(base.size()) != n) base = MakePattern(Pattern::kGaussian, n, 1000);
  return base;
}

// Matrix i gets base rotated by i x a large prime, so the blocks of one
// matrix do not line up with (and quantize like) those of another.
void RotatedCopy(const std::vector<float>& base, int64_t i, float* dst) {
  const auto n = static_cast<int64_t>(base.size());
  const int64_t off = (i * 1000003) % n;
  std::memcpy(dst, base.data() + off, static_cast<size_t>(n - off) * sizeof(float));
  std::memcpy(dst + (n - off), base.data(), static_cast<size_t>(off) * sizeof(float));
}

// Quantizing 16 large matrices takes seconds, and Google Benchmark calls a
// benchmark function several times (iteration estimation, repetitions), so
// weights are cached across calls and across the ISA variants, which are
// registered next to each other. Only the most recent shape is kept, so
// the suite never holds more than one set (the f16 x16 sets are 566 MB).
const WeightSet& GetWeights(Format f, const Shape& s) {
  using Key = std::tuple<Format, int64_t, int64_t, int64_t>;
  static std::map<Key, std::unique_ptr<WeightSet>> cache;
  const Key key{f, s.rows, s.cols, s.count};
  if (auto it = cache.find(key); it != cache.end()) return *it->second;
  cache.clear();
  auto set = std::make_unique<WeightSet>();
  auto bytes = TensorBytes(f, s.rows, s.cols);
  if (!bytes.ok()) {
    set->error = bytes.status().message();
  } else {
    set->bytes = *bytes;
    set->stride = RoundUp64(*bytes);
    set->count = s.count;
    set->data = AllocAligned(set->stride * s.count);
    const std::vector<float>& base = GaussianBase(s.rows * s.cols);
    std::vector<float> src(base.size());
    for (int64_t i = 0; i < s.count && set->error.empty(); ++i) {
      RotatedCopy(base, i, src.data());
      std::span<uint8_t> dst(set->data.get() + i * set->stride, static_cast<size_t>(*bytes));
      if (Status st = Quantize(f, src.data(), s.rows, s.cols, dst); !st.ok())
        set->error = st.message();
    }
  }
  return *cache.emplace(key, std::move(set)).first->second;
}

// Activations for `tokens` rows of length k, prepared for format f.
void MakeActivations(Format f, int64_t tokens, int64_t k, Activations* x) {
  const std::vector<float> v = MakePattern(Pattern::kGaussian, tokens * k, 7);
  if (Info(f).integer_activations) {
    x->Quantize(v.data(), tokens, k, k);
  } else {
    x->SetFloat(v.data(), tokens, k, k);
  }
  x->Prepare(f);
}

void BM_Quantize(benchmark::State& state, Format f, Shape s) {
  const int64_t n = s.rows * s.cols;
  const std::vector<float> pattern = MakePattern(Pattern::kGaussian, n, 1);
  const auto src = MakeAligned<float>(n, pattern.data());
  auto bytes = TensorBytes(f, s.rows, s.cols);
  if (!bytes.ok()) return state.SkipWithError(bytes.status().message().c_str());
  const auto dst_buf = MakeAligned<uint8_t>(*bytes);
  const std::span<uint8_t> dst = dst_buf.span();
  if (Status st = Quantize(f, src.data(), s.rows, s.cols, dst); !st.ok())
    return state.SkipWithError(st.message().c_str());
  for (auto _ : state) {
    Status st = Quantize(f, src.data(), s.rows, s.cols, dst);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
  state.SetLabel(RanLabel(KernelOp::kQuantize, f, DispatchedIsa()));
}

void BM_Dequantize(benchmark::State& state, Format f, Shape s) {
  const int64_t n = s.rows * s.cols;
  const std::vector<float> src = MakePattern(Pattern::kGaussian, n, 1);
  auto bytes = TensorBytes(f, s.rows, s.cols);
  if (!bytes.ok()) return state.SkipWithError(bytes.status().message().c_str());
  const auto q_buf = MakeAligned<uint8_t>(*bytes);
  const std::span<uint8_t> q = q_buf.span();
  if (Status st = Quantize(f, src.data(), s.rows, s.cols, q); !st.ok())
    return state.SkipWithError(st.message().c_str());
  const auto out = MakeAligned<float>(n);
  for (auto _ : state) {
    Status st = Dequantize(f, q, s.rows, s.cols, out.data());
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
  state.SetLabel(RanLabel(KernelOp::kDequantize, f, DispatchedIsa()));
}

// One product of the weights in `w` with `tokens` activation rows per
// iteration, cycling through w's matrices. Serves dot, gemv and gemm.
void BM_Matmul(benchmark::State& state, Format f, Isa isa, Shape s, int64_t tokens) {
  const WeightSet& w = GetWeights(f, s);
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  Activations x;
  MakeActivations(f, tokens, s.cols, &x);
  const auto y = MakeAligned<float>(tokens * s.rows);
  int64_t i = 0;
  for (auto _ : state) {
    MatmulWith(isa, f, w.matrix(i), s.rows, s.cols, x, y.data(), s.rows, 0, s.rows);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    if (++i == w.count) i = 0;
  }
  state.SetItemsProcessed(state.iterations() * s.rows * s.cols * tokens);
  state.SetBytesProcessed(state.iterations() * w.bytes);
  state.SetLabel(RanLabel(tokens == 1 ? KernelOp::kGemv : KernelOp::kGemm, f, isa));
}

// Eight independent accumulators keep eight cache-line loads in flight per
// loop trip, enough for the hardware prefetchers to run ahead; xor is the
// cheapest way to make every byte observable.
__attribute__((target("avx2"))) uint64_t XorReduceAvx2(const uint8_t* p, int64_t bytes) {
  __m256i acc[8];
  for (auto& a : acc) a = _mm256_setzero_si256();
  for (int64_t off = 0; off + 256 <= bytes; off += 256) {
    for (int j = 0; j < 8; ++j) {
      const auto* v = reinterpret_cast<const __m256i*>(p + off + 32 * j);
      acc[j] = _mm256_xor_si256(acc[j], _mm256_load_si256(v));
    }
  }
  for (int j = 1; j < 8; ++j) acc[0] = _mm256_xor_si256(acc[0], acc[j]);
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[0]);
  return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
}

void BM_MembwRead(benchmark::State& state) {
  // Filled once: untouched pages would all map the shared zero page and
  // measure nothing but the TLB.
  static const AlignedBuffer buf = [] {
    AlignedBuffer b = AllocAligned(kMembwBytes);
    std::memset(b.get(), 0x5a, static_cast<size_t>(kMembwBytes));
    return b;
  }();
  for (auto _ : state) benchmark::DoNotOptimize(XorReduceAvx2(buf.get(), kMembwBytes));
  state.SetBytesProcessed(state.iterations() * kMembwBytes);
}

// Instruction throughput of the multiplies the integer kernels are built
// on: eight independent accumulators (enough to hide a latency of up to 4
// cycles at 2 a cycle, as on Zen 4; a core with longer latency reads
// lower). Every result of a trip feeds an empty volatile asm, so the
// compiler can neither fold, reorder nor drop any of them, and the caller
// needs only a0 to return. With a kernel's count of such instructions per
// weight (docs/KERNELS.md) this is its ceiling on the machine at hand.
#define BITGATE_PEAK_LOOP(Vec, zero, op, constraint)                                        \
  Vec a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero; \
  for (int64_t i = 0; i < trips; ++i) {                                                     \
    a0 = op(a0), a1 = op(a1), a2 = op(a2), a3 = op(a3);                                     \
    a4 = op(a4), a5 = op(a5), a6 = op(a6), a7 = op(a7);                                     \
    __asm__ volatile("" : "+" constraint(a0), "+" constraint(a1), "+" constraint(a2),       \
                     "+" constraint(a3), "+" constraint(a4), "+" constraint(a5),            \
                     "+" constraint(a6), "+" constraint(a7));                               \
  }

__attribute__((target("avx2"))) int64_t PeakMaddubs256(int64_t trips) {
  __m256i u = _mm256_set1_epi8(3);
  __asm__("" : "+x"(u));  // opaque operands: nothing to fold at compile time
#define BITGATE_PEAK_OP(a) _mm256_maddubs_epi16(u, a)
  BITGATE_PEAK_LOOP(__m256i, _mm256_set1_epi8(1), BITGATE_PEAK_OP, "x")
#undef BITGATE_PEAK_OP
  return _mm256_extract_epi64(a0, 0);
}

__attribute__((target("avx512f,avx512vl,avx512vnni"))) int64_t PeakDpbusd256(int64_t trips) {
  __m256i u = _mm256_set1_epi8(3), s8 = _mm256_set1_epi8(5);
  __asm__("" : "+v"(u), "+v"(s8));
#define BITGATE_PEAK_OP(a) _mm256_dpbusd_epi32(a, u, s8)
  BITGATE_PEAK_LOOP(__m256i, _mm256_setzero_si256(), BITGATE_PEAK_OP, "v")
#undef BITGATE_PEAK_OP
  return _mm256_extract_epi64(a0, 0);
}

__attribute__((target("avx512f,avx512vl,avx512vnni"))) int64_t PeakDpbusd512(int64_t trips) {
  __m512i u = _mm512_set1_epi8(3), s8 = _mm512_set1_epi8(5);
  __asm__("" : "+v"(u), "+v"(s8));
#define BITGATE_PEAK_OP(a) _mm512_dpbusd_epi32(a, u, s8)
  BITGATE_PEAK_LOOP(__m512i, _mm512_setzero_si512(), BITGATE_PEAK_OP, "v")
#undef BITGATE_PEAK_OP
  alignas(64) int64_t lanes[8];
  _mm512_store_si512(lanes, a0);
  return lanes[0];
}
#undef BITGATE_PEAK_LOOP

// The arithmetic of the TQ1_0 quad kernel's inner step and nothing else
// (kernels/avx512/tq1_0_avx512.cc): for each of three 64-byte pieces, the
// next multiple c' = 3c as two byte additions and the two vpdpbusd of c
// and c' against one activation vector, all in registers: no loads, no
// qh, no scales. 192 weights a trip; six accumulators and three byte
// chains, each far shorter than a trip's issue time. What this sustains is
// the most any kernel built on the exact two-product decode can reach.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int64_t PeakTq1Step512(int64_t trips) {
  __m512i c0 = _mm512_set1_epi8(7), c1 = _mm512_set1_epi8(11), c2 = _mm512_set1_epi8(13);
  __m512i q = _mm512_set1_epi8(5);
  __asm__("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(q));
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
  for (int64_t i = 0; i < trips; ++i) {
    const __m512i n0 = _mm512_add_epi8(c0, _mm512_add_epi8(c0, c0));
    const __m512i n1 = _mm512_add_epi8(c1, _mm512_add_epi8(c1, c1));
    const __m512i n2 = _mm512_add_epi8(c2, _mm512_add_epi8(c2, c2));
    a0 = _mm512_dpbusd_epi32(a0, c0, q), b0 = _mm512_dpbusd_epi32(b0, n0, q);
    a1 = _mm512_dpbusd_epi32(a1, c1, q), b1 = _mm512_dpbusd_epi32(b1, n1, q);
    a2 = _mm512_dpbusd_epi32(a2, c2, q), b2 = _mm512_dpbusd_epi32(b2, n2, q);
    c0 = n0, c1 = n1, c2 = n2;
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(b0), "+v"(b1), "+v"(b2), "+v"(c0), "+v"(c1),
                     "+v"(c2));
  }
  alignas(64) int64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_sub_epi32(a2, _mm512_add_epi32(b0, _mm512_add_epi32(b1, b2)))));
  return lanes[0];
}

// items = instructions.
void BM_Peak(benchmark::State& state, int64_t (*run)(int64_t)) {
  constexpr int64_t kTrips = 1 << 16;
  for (auto _ : state) benchmark::DoNotOptimize(run(kTrips));
  state.SetItemsProcessed(state.iterations() * kTrips * 8);
}

// items = weights, bytes = what those weights occupy in `f`, so
// ci/bench-summary can set the ceiling against membw/read.
void BM_PeakWeights(benchmark::State& state, int64_t (*run)(int64_t), int64_t weights_per_trip, Format f) {
  constexpr int64_t kTrips = 1 << 16;
  for (auto _ : state) benchmark::DoNotOptimize(run(kTrips));
  const int64_t weights = state.iterations() * kTrips * weights_per_trip;
  state.SetItemsProcessed(weights);
  state.SetBytesProcessed(weights / Info(f).block_elems * Info(f).block_bytes);
}

// snprintf rather than string concatenation: GCC 12 raises a false
// -Wrestrict on `"x" + std::to_string(...)` at -O3.
std::string ShapeName(const Shape& s) {
  char buf[64];
  if (s.count > 1) {
    std::snprintf(buf, sizeof(buf), "%lldx%lldx%lld", static_cast<long long>(s.rows),
                  static_cast<long long>(s.cols), static_cast<long long>(s.count));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldx%lld", static_cast<long long>(s.rows),
                  static_cast<long long>(s.cols));
  }
  return buf;
}

void RegisterAll() {
  std::vector<Isa> isas;
  for (int i = 0; i < kIsaCount; ++i)
    if (IsaSupported(static_cast<Isa>(i))) isas.push_back(static_cast<Isa>(i));

  if (IsaSupported(Isa::kAvx2)) {
    benchmark::RegisterBenchmark("membw/read", BM_MembwRead)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("peak/vpmaddubsw/256", BM_Peak, PeakMaddubs256);
  }
  if (IsaSupported(Isa::kAvx512)) {
    benchmark::RegisterBenchmark("peak/vpdpbusd/256", BM_Peak, PeakDpbusd256);
    benchmark::RegisterBenchmark("peak/vpdpbusd/512", BM_Peak, PeakDpbusd512);
    benchmark::RegisterBenchmark("peak/tq1_0-step/512", BM_PeakWeights, PeakTq1Step512, int64_t{192},
                                 Format::kTQ1_0);
  }

  for (int fi = 0; fi < kFormatCount; ++fi) {
    const auto f = static_cast<Format>(fi);
    const std::string fname = FormatName(f);
    for (int64_t n : kSizes) {
      const Shape s = RowShape(f, n);
      if (!ShapeOk(f, s)) continue;
      const std::string tail = fname + "/" + std::to_string(n);
      benchmark::RegisterBenchmark(("quantize/" + tail).c_str(), BM_Quantize, f, s);
      benchmark::RegisterBenchmark(("dequantize/" + tail).c_str(), BM_Dequantize, f, s);
    }
    for (int64_t n : kSizes) {
      const Shape s = RowShape(f, n);
      if (!ShapeOk(f, s)) continue;
      for (Isa isa : isas) {
        const std::string name = "dot/" + fname + "/" + IsaName(isa) + "/" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, f, isa, s, int64_t{1});
      }
    }
    // GEMV/GEMM: the formats a BitNet model ships in, F16 as the dense
    // baseline, and Q8_0, the output head the engine repacks to by default.
    if (!Info(f).ternary && f != Format::kF16 && f != Format::kQ8_0) continue;
    // Shape outermost, ISA inner: GetWeights keeps only the latest set.
    for (const Shape& s : kGemvShapes) {
      if (!ShapeOk(f, s)) continue;
      for (Isa isa : isas) {
        const std::string name = "gemv/" + fname + "/" + IsaName(isa) + "/" + ShapeName(s);
        benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, f, isa, s, int64_t{1})
            ->Unit(benchmark::kMicrosecond);
      }
      if (s.count != 1) continue;
      for (Isa isa : isas) {
        for (int64_t t : kGemmTokens) {
          const std::string name =
              "gemm/" + fname + "/" + IsaName(isa) + "/" + ShapeName(s) + "/t" + std::to_string(t);
          benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, f, isa, s, t)
              ->Unit(benchmark::kMillisecond);
        }
      }
    }
  }
}

}  // namespace
}  // namespace bitgate::kernels

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bitgate::kernels::RegisterAll();
  benchmark::AddCustomContext("cpu_flags", bitgate::kernels::CpuFlagsString());
  benchmark::AddCustomContext("dispatched_isa",
                              bitgate::kernels::IsaName(bitgate::kernels::DispatchedIsa()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
