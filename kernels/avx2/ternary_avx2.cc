// AVX2 kernels of the 2-bit ternary formats (TQ2_0, I2_S, I2S) and the
// float-weight products (F32, F16, BF16).
//
// Without VNNI the byte products go through vpmaddubsw (u8 code x s8
// activation, adjacent pairs summed to int16, no saturation), planes are
// summed in int16 (each kernel states its bound, codes up to 3 included)
// and vpmaddwd with ones widens to int32. Layout notes are in the AVX-512
// twins and layouts.h.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/internal/fp16.h"
#include "kernels/internal/layouts.h"
#include "kernels/internal/prefetch.h"
#include "kernels/internal/token_tiles.h"
#include "kernels/ref/ref_kernels.h"

namespace bitgate::kernels::internal {
namespace {

inline float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t HSumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// sum over 32 bytes x 4 planes of code * activation, as 8 int32 lanes.
// Plane l of `v` (bits 2l or 6-2l) meets the 32 activations at a + stride*l.
// One shift per 32 bytes: bit pairs 0 and 2 are `v & 3` and `(v >> 4) & 3`,
// bit pairs 1 and 3 are masked in place (`& 12`, 4 x code, at most 12 as
// a u8) into int16 sums of their own, shifted back once (multiples of 4, so
// exact). Every int16 sum stays within 2 x 2 x 12 x 128 = 6144.
template <bool kHighBitsFirst>
inline __m256i DotPlanes(__m256i v, const int8_t* a, int64_t stride) {
  const __m256i m3 = _mm256_set1_epi8(3), m12 = _mm256_set1_epi8(12);
  const __m256i hi = _mm256_srli_epi16(v, 4);
  __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
  for (int k = 0; k < 4; ++k) {  // bit pair k: bits 2k, 2k + 1
    const int l = kHighBitsFirst ? 3 - k : k;
    const __m256i c = _mm256_and_si256(k < 2 ? v : hi, k % 2 ? m12 : m3);
    const __m256i act = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + stride * l));
    __m256i& sum = k % 2 ? odd : even;
    sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(c, act));
  }
  const __m256i s16 = _mm256_add_epi16(even, _mm256_srai_epi16(odd, 2));
  return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
}

}  // namespace

namespace {

// R rows of TQ2_0 against token t: each activation load feeds R rows. For
// one token (decode) rows go in pairs and the weight stream is prefetched:
// the lines of a block's bytes 0 and 65 are all it touches (see the
// AVX-512 twin).
template <int R, bool kPrefetch>
void TQ2_0RowsAvx2(const BlockTQ2_0* w, int64_t nb, const int8_t* a, const int32_t* bsum, float inv,
                   float* y, int64_t r) {
  const BlockTQ2_0* blk[R];
  __m256 acc[R];
  for (int i = 0; i < R; ++i) {
    blk[i] = w + (r + i) * nb;
    acc[i] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const int8_t* ab = a + 256 * b;
    for (int i = 0; i < R; ++i) {
      if (kPrefetch) {
        PrefetchStream(blk[i][b].qs);
        PrefetchStream(blk[i][b].qs + 65);
      }
      const auto* qs = reinterpret_cast<const __m256i*>(blk[i][b].qs);
      // half j = 0 meets interleaved positions 64l, half j = 32 meets 64l + 32
      __m256i s = _mm256_add_epi32(DotPlanes<false>(_mm256_loadu_si256(qs), ab, 64),
                                   DotPlanes<false>(_mm256_loadu_si256(qs + 1), ab + 32, 64));
      s = _mm256_add_epi32(s, _mm256_zextsi128_si256(_mm_cvtsi32_si128(-bsum[b])));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(blk[i][b].d)), acc[i]);
    }
  }
  for (int i = 0; i < R; ++i) y[r + i] = HSum(acc[i]) * inv;
}

}  // namespace

void MatmulTQ2_0Avx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                     int64_t ldy, int64_t r0, int64_t r1) {
  const auto* blk = reinterpret_cast<const BlockTQ2_0*>(w);
  const int64_t nb = cols / 256;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const int8_t* a = x.q_interleaved(t);
    const int32_t* bsum = x.bsum256(t);
    const float inv = 1.0f / x.scale(t);
    float* yt = y + t * ldy;
    int64_t r = r0;
    if (x.tokens() == 1) {
      for (; r + 2 <= r1; r += 2) TQ2_0RowsAvx2<2, true>(blk, nb, a, bsum, inv, yt, r);
      if (r < r1) TQ2_0RowsAvx2<1, true>(blk, nb, a, bsum, inv, yt, r);
    } else {
      for (; r < r1; ++r) TQ2_0RowsAvx2<1, false>(blk, nb, a, bsum, inv, yt, r);
    }
  }
}

namespace {

// I2_S rows against up to T tokens at once: each 32-byte chunk's code
// planes are decoded once and reused for every token of the tile, which is
// what makes batched prefill cheaper per token than decoding.
template <int T>
void I2_STileAvx2(const uint8_t* w, int64_t cols, float wscale, const Activations& x, int64_t t0, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  const int64_t full = cols / 256 * 256;
  const __m256i m3 = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
  const int8_t* a[T];
  for (int t = 0; t < T; ++t) a[t] = x.q_interleaved(t0 + t);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * cols / 4;
    __m256i acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_si256();
    // 32-byte chunk h of a 256-group: plane l meets interleaved 64l + 32h;
    // the final 128-block (if any) is in natural order: plane l at 32l.
    auto chunk = [&](const uint8_t* p, int64_t act_off, int64_t stride) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      __m256i c[4];
      for (int l = 0; l < 4; ++l) {
        const int shift = 6 - 2 * l;
        c[l] = _mm256_and_si256(shift ? _mm256_srli_epi16(v, shift) : v, m3);
      }
      for (int t = 0; t < T; ++t) {
        __m256i s16 = _mm256_setzero_si256();
        for (int l = 0; l < 4; ++l) {
          const auto* ap = reinterpret_cast<const __m256i*>(a[t] + act_off + stride * l);
          s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(c[l], _mm256_loadu_si256(ap)));
        }
        acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(s16, ones));
      }
    };
    for (int64_t g = 0; g < full; g += 256) {
      if (T == 1) PrefetchStream(row + g / 4);  // decode: from DRAM (prefetch.h)
      chunk(row + g / 4, g, 64);
      chunk(row + g / 4 + 32, g + 32, 64);
    }
    if (full < cols) chunk(row + full / 4, full, 32);
    for (int t = 0; t < T; ++t) {
      y[(t0 + t) * ldy + r] = static_cast<float>(HSumI32(acc[t]) - x.row_sum(t0 + t)) / x.scale(t0 + t) * wscale;
    }
  }
}

// One token (decode): DotPlanes' one shift per 32 bytes, and the int16
// sums widened once per two groups instead of once per 32 bytes. Bounds
// (activations are within +-127, Activations' quantizer; codes up to 3,
// which no quantizer writes but a file may hold): a 32-byte chunk adds at
// most 2 x 2 x 3 x 127 = 1524 to `even` and 2 x 2 x 12 x 127 = 6096 to
// `odd`, so four chunks (512 weights) stay within 24384 < 32767.
constexpr int64_t kI2_SWiden = 512;
// R adjacent rows per pass share each activation load, each row's weight
// lines prefetched (docs/KERNELS.md: two rows 3-14% faster than one, four
// the same as two).
template <int R>
void I2_SDecodeRowsAvx2(const uint8_t* w, int64_t cols, float wscale, const Activations& x, float* y, int64_t r) {
  const int64_t full = cols / 256 * 256;
  const int8_t* a = x.q_interleaved(0);
  const __m256i m3 = _mm256_set1_epi8(3), m12 = _mm256_set1_epi8(12), ones = _mm256_set1_epi16(1);
  const auto act = [&](int64_t off) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + off)); };
  const uint8_t* row[R];
  __m256i acc[R];
  for (int i = 0; i < R; ++i) {
    row[i] = w + (r + i) * cols / 4;
    acc[i] = _mm256_setzero_si256();
  }
  for (int64_t g0 = 0; g0 < full; g0 += kI2_SWiden) {
    const int64_t g1 = std::min(full, g0 + kI2_SWiden);
    __m256i even[R], odd[R];
    for (int i = 0; i < R; ++i) even[i] = odd[i] = _mm256_setzero_si256();
    for (int64_t g = g0; g < g1; g += 256) {
      for (int i = 0; i < R; ++i) PrefetchStream(row[i] + g / 4);  // from DRAM (prefetch.h)
      for (int h = 0; h < 64; h += 32) {
        // high bits first: bit pair 0 is plane 3, pair 3 plane 0; plane l
        // of chunk h meets interleaved positions 64 l + h
        const __m256i a3 = act(g + h + 192), a2 = act(g + h + 128), a1 = act(g + h + 64), a0 = act(g + h);
        for (int i = 0; i < R; ++i) {
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[i] + g / 4 + h));
          const __m256i hi = _mm256_srli_epi16(v, 4);
          even[i] = _mm256_add_epi16(even[i], _mm256_maddubs_epi16(_mm256_and_si256(v, m3), a3));
          odd[i] = _mm256_add_epi16(odd[i], _mm256_maddubs_epi16(_mm256_and_si256(v, m12), a2));
          even[i] = _mm256_add_epi16(even[i], _mm256_maddubs_epi16(_mm256_and_si256(hi, m3), a1));
          odd[i] = _mm256_add_epi16(odd[i], _mm256_maddubs_epi16(_mm256_and_si256(hi, m12), a0));
        }
      }
    }
    for (int i = 0; i < R; ++i)
      acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_add_epi16(even[i], _mm256_srai_epi16(odd[i], 2)), ones));
  }
  for (int i = 0; i < R; ++i) {
    if (full < cols) {  // a final 128-block, natural order: plane l at 32 l
      PrefetchStream(row[i] + full / 4);  // the stream's lines between this row's groups and the next row
      acc[i] = _mm256_add_epi32(
          acc[i], DotPlanes<true>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[i] + full / 4)), a + full, 32));
    }
    y[r + i] = static_cast<float>(HSumI32(acc[i]) - x.row_sum(0)) / x.scale(0) * wscale;
  }
}

void I2_SDecodeAvx2(const uint8_t* w, int64_t cols, float wscale, const Activations& x, float* y, int64_t r0,
                    int64_t r1) {
  int64_t r = r0;
  for (; r + 2 <= r1; r += 2) I2_SDecodeRowsAvx2<2>(w, cols, wscale, x, y, r);
  if (r < r1) I2_SDecodeRowsAvx2<1>(w, cols, wscale, x, y, r);
}

}  // namespace

void MatmulI2_SAvx2(const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                    int64_t ldy, int64_t r0, int64_t r1) {
  const float wscale = LoadF32(w + rows * cols / 4);
  if (x.tokens() == 1) return I2_SDecodeAvx2(w, cols, wscale, x, y, r0, r1);
  ForTokenTiles(x.tokens(), [&](auto tile, int64_t t0) {
    I2_STileAvx2<decltype(tile)::value>(w, cols, wscale, x, t0, y, ldy, r0, r1);
  });
}

namespace {

// Where a full group's activations are in Activations::q_i2s (the layout
// of internal/layouts.h, I2SActivationOffset, in the arithmetic the loops
// can afford): plane p of half h at offset + 64 p + half_stride h. `paired`
// is the number of elements in the row's pairs of full groups.
struct I2SActivationPlace {
  int64_t offset, half_stride;
  I2SActivationPlace(int64_t g, int64_t paired)
      : offset(g < paired && (g & kI2SGroup) != 0 ? g - kI2SGroup + 32 : g), half_stride(g < paired ? 256 : 32) {}
};

// An I2S group's code planes (internal/layouts.h): code bytes 0..31 hold
// the first halves of the 8 blocks and bytes 32..63 the second halves, 4
// bytes a block. Planes 0 and 2 are shifted down (code), 1 and 3 masked in
// place (code x 4).
struct I2SPlanesAvx2 {
  __m256i c[2][4];  // [half][plane]
  explicit I2SPlanesAvx2(const uint8_t* codes) {
    const __m256i m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C);
    for (int h = 0; h < 2; ++h) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + 32 * h));
      const __m256i hi = _mm256_srli_epi16(v, 4);
      c[h][0] = _mm256_and_si256(v, m03);
      c[h][1] = _mm256_and_si256(v, m0c);
      c[h][2] = _mm256_and_si256(hi, m03);
      c[h][3] = _mm256_and_si256(hi, m0c);
    }
  }
  // Block k's sum in int32 lane k, against one token's reordered
  // activations a (Activations::q_i2s). The code and the x4 planes go
  // through vpmaddubsw into two int16 sums of 4 vectors each, at most
  // 4 x 2 x 12 x 127 = 12192 (code 3, which a file may hold, x 4; no
  // saturation); the x4 sum is shifted back
  // (exact) and one vpmaddwd makes the block sums.
  // Plane p of half h at a + 64 p + hs h (I2SActivationPlace).
  __m256i Sums(const int8_t* a, int64_t hs) const {
    __m256i lo = _mm256_setzero_si256(), x4 = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      auto act = [&](int p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(a + 64 * p + hs * h)); };
      lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(c[h][0], act(0)));
      x4 = _mm256_add_epi16(x4, _mm256_maddubs_epi16(c[h][1], act(1)));
      lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(c[h][2], act(2)));
      x4 = _mm256_add_epi16(x4, _mm256_maddubs_epi16(c[h][3], act(3)));
    }
    return _mm256_madd_epi16(_mm256_add_epi16(lo, _mm256_srai_epi16(x4, 2)), _mm256_set1_epi16(1));
  }
};

// One token (decode): each half decoded as it is used. Holding all 8
// planes first, as the prefill tile does, was 17% slower here (dot 90 ->
// 74-79 G weights/s).
void I2SDecodeAvx2(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t r0, int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup, paired = full / (2 * kI2SGroup) * (2 * kI2SGroup);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C);
  const int8_t* qp = x.q_i2s(0);
  const int32_t* bsum = x.bsum32(0);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* codes = w + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t g = 0; g < full; g += kI2SGroup) {
      PrefetchSpan(codes + g / 4, 64);  // from DRAM (internal/prefetch.h)
      PrefetchSpan(scales + g / 16, 16);
      const __m256i v[2] = {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + g / 4)),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + g / 4 + 32))};
      const I2SActivationPlace place(g, paired);
      const int8_t* a = qp + place.offset;
      __m256i lo = _mm256_setzero_si256(), x4 = _mm256_setzero_si256();
      for (int h = 0; h < 2; ++h) {
        const __m256i hi = _mm256_srli_epi16(v[h], 4);
        auto act = [&](int p) {
          return _mm256_load_si256(reinterpret_cast<const __m256i*>(a + 64 * p + place.half_stride * h));
        };
        lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(_mm256_and_si256(v[h], m03), act(0)));
        x4 = _mm256_add_epi16(x4, _mm256_maddubs_epi16(_mm256_and_si256(v[h], m0c), act(1)));
        lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(_mm256_and_si256(hi, m03), act(2)));
        x4 = _mm256_add_epi16(x4, _mm256_maddubs_epi16(_mm256_and_si256(hi, m0c), act(3)));
      }
      __m256i s = _mm256_madd_epi16(_mm256_add_epi16(lo, _mm256_srai_epi16(x4, 2)), ones);
      s = _mm256_sub_epi32(s, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsum + g / 32)));
      const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g / 16)));
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d8, acc);
    }
    y[r] = I2SRowOutput(HSum(acc), codes, cols, x, 0);
  }
}

// Prefill: NT >= 2 tokens at a time, each group decoded once for all of
// them; one conversion and one FMA per group and token apply the 8 block
// scales.
template <int NT>
void I2STileAvx2(const uint8_t* w, int64_t cols, const Activations& x, int64_t t0, float* y, int64_t ldy,
                 int64_t r0, int64_t r1) {
  const int64_t row_bytes = cols / 4 + cols / 16;
  const int64_t full = cols / kI2SGroup * kI2SGroup, paired = full / (2 * kI2SGroup) * (2 * kI2SGroup);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* codes = w + r * row_bytes;
    const uint8_t* scales = codes + cols / 4;
    __m256 acc[NT];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (int64_t g = 0; g < full; g += kI2SGroup) {
      PrefetchSpan(codes + g / 4, 64);  // from DRAM (internal/prefetch.h)
      PrefetchSpan(scales + g / 16, 16);
      const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g / 16)));
      const I2SPlanesAvx2 planes(codes + g / 4);
      const I2SActivationPlace place(g, paired);
      for (int t = 0; t < NT; ++t) {
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsum32(t0 + t) + g / 32));
        const __m256i sum = _mm256_sub_epi32(planes.Sums(x.q_i2s(t0 + t) + place.offset, place.half_stride), bs);
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d8, acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) y[(t0 + t) * ldy + r] = I2SRowOutput(HSum(acc[t]), codes, cols, x, t0 + t);
  }
}

}  // namespace

void MatmulI2SAvx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1) {
  if (x.tokens() == 1) return I2SDecodeAvx2(w, cols, x, y, r0, r1);
  ForTokenTiles(x.tokens(), [&](auto tile, int64_t t0) {
    I2STileAvx2<decltype(tile)::value>(w, cols, x, t0, y, ldy, r0, r1);
  });
}

namespace {
enum class FloatKind { kF32, kF16, kBF16 };

// 8 weights of a row as floats.
template <FloatKind K>
inline __m256 LoadWeights8(const uint8_t* row, int64_t k) {
  if constexpr (K == FloatKind::kF32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
  } else if constexpr (K == FloatKind::kF16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
  } else {  // bf16: the upper half of a float's bits
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

template <FloatKind K>
inline float LoadWeight1(const uint8_t* row, int64_t k) {
  if constexpr (K == FloatKind::kF32) {
    return LoadF32(row + 4 * k);
  } else if constexpr (K == FloatKind::kF16) {
    return HalfToFloatScalar(LoadU16(row + 2 * k));
  } else {
    return Bf16ToFloatScalar(LoadU16(row + 2 * k));
  }
}

template <FloatKind K>
void FloatMatmulAvx2(const uint8_t* w, int64_t cols, const Activations& x, float* y, int64_t ldy,
                     int64_t r0, int64_t r1) {
  constexpr int64_t kBytes = K == FloatKind::kF32 ? 4 : 2;
  const int64_t main = cols / 16 * 16;
  for (int64_t t = 0; t < x.tokens(); ++t) {
    const float* xf = x.f(t);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = w + r * cols * kBytes;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      for (int64_t k = 0; k < main; k += 16) {
        acc0 = _mm256_fmadd_ps(LoadWeights8<K>(row, k), _mm256_loadu_ps(xf + k), acc0);
        acc1 = _mm256_fmadd_ps(LoadWeights8<K>(row, k + 8), _mm256_loadu_ps(xf + k + 8), acc1);
      }
      float tail = 0.0f;
      for (int64_t k = main; k < cols; ++k) tail += LoadWeight1<K>(row, k) * xf[k];
      y[t * ldy + r] = HSum(_mm256_add_ps(acc0, acc1)) + tail;
    }
  }
}
}  // namespace

void MatmulF16Avx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                   int64_t r0, int64_t r1) {
  FloatMatmulAvx2<FloatKind::kF16>(w, cols, x, y, ldy, r0, r1);
}
void MatmulF32Avx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                   int64_t r0, int64_t r1) {
  FloatMatmulAvx2<FloatKind::kF32>(w, cols, x, y, ldy, r0, r1);
}
void MatmulBF16Avx2(const uint8_t* w, int64_t, int64_t cols, const Activations& x, float* y, int64_t ldy,
                    int64_t r0, int64_t r1) {
  FloatMatmulAvx2<FloatKind::kBF16>(w, cols, x, y, ldy, r0, r1);
}

}  // namespace bitgate::kernels::internal
