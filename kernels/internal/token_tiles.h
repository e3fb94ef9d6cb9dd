// Internal: how the prefill kernels walk the tokens of a batch.
#pragma once

#include <cstdint>
#include <type_traits>

namespace bitgate::kernels::internal {

// Calls tile(std::integral_constant<int, NT>{}, t0) over [0, tokens): tiles
// of 4 tokens, then one tile of the 1-3 left. A kernel decodes each weight
// group once per tile, so NT is a compile-time count of its accumulators.
template <typename Tile>
void ForTokenTiles(int64_t tokens, Tile&& tile) {
  int64_t t = 0;
  for (; t + 4 <= tokens; t += 4) tile(std::integral_constant<int, 4>{}, t);
  switch (tokens - t) {
    case 3: tile(std::integral_constant<int, 3>{}, t); break;
    case 2: tile(std::integral_constant<int, 2>{}, t); break;
    case 1: tile(std::integral_constant<int, 1>{}, t); break;
    default: break;
  }
}

}  // namespace bitgate::kernels::internal
