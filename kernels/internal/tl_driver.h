// Internal: the ISA-independent frame of the TL1/TL2 matmul kernels.
//
// Row tiles (kTlTile rows) are taken kBlock at a time, with the tokens
// inside: a block's weights stay cache-resident while each token's LUT
// streams past. The first token of a block also asks for the next block's
// lines (decode has only that token): `ahead` = kBlock tiles, so each of
// the block's interleaved tile streams is prefetched in its own next tile
// (internal/prefetch.h). The float epilogue is the reference's expression,
// so outputs are bit-identical to it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/internal/tl_layout.h"
#include "kernels/matmul.h"

namespace bitgate::kernels::internal {

// Calls fn(std::integral_constant<int, nt>{}) for a run-time nt in
// 1..kBlock, so a kernel's tile loop is instantiated once per tile count.
template <int kBlock, class Fn>
void WithTileCount(int nt, Fn&& fn) {
  if constexpr (kBlock > 1) {
    if (nt >= kBlock) return fn(std::integral_constant<int, kBlock>{});
    return WithTileCount<kBlock - 1>(nt, fn);
  } else {
    return fn(std::integral_constant<int, 1>{});
  }
}

// tile_block(nt, wt, tile_bytes, ahead, lut, isum) writes the exact integer
// sums of the nt tiles starting at wt against one token's LUT to
// isum[0 .. 16 * nt); nt is a std::integral_constant<int, 1..kBlock>. It is
// a template parameter, so each ISA's translation unit gets its own
// instance of this frame.
template <int kBlock, class TileBlockFn>
void MatmulTlTiles(Format f, const uint8_t* w, int64_t rows, int64_t cols, const Activations& x, float* y,
                   int64_t ldy, int64_t r0, int64_t r1, TileBlockFn&& tile_block) {
  const int64_t tile_bytes = TlTileBytes(f, cols);
  const int64_t tiles = (rows + kTlTile - 1) / kTlTile;
  float scale;
  std::memcpy(&scale, w + tiles * tile_bytes, sizeof(scale));
  const int64_t row_end = std::min(r1, rows);
  const int64_t tile_end = (row_end + kTlTile - 1) / kTlTile;
  int32_t isum[kBlock * kTlTile];
  for (int64_t tile = r0 / kTlTile; tile < tile_end; tile += kBlock) {
    const int nt = static_cast<int>(std::min<int64_t>(kBlock, tile_end - tile));
    const uint8_t* wt = w + tile * tile_bytes;
    for (int64_t t = 0; t < x.tokens(); ++t) {
      const int64_t ahead = t == 0 ? kBlock * tile_bytes : 0;
      WithTileCount<kBlock>(nt, [&](auto n) { tile_block(n, wt, tile_bytes, ahead, x.lut(f, t), isum); });
      const float xs = x.scale(t);
      const int64_t n_out = std::min(nt * kTlTile, row_end - tile * kTlTile);
      float* yt = y + t * ldy + tile * kTlTile;
      for (int64_t i = 0; i < n_out; ++i) yt[i] = static_cast<float>(isum[i]) / xs * scale;
    }
  }
}

}  // namespace bitgate::kernels::internal
