// Seeded byte-level mutations in the style of libFuzzer's MutationDispatcher:
// bit flips, random bytes, insertions, deletions, copies, splices with
// another corpus entry, interesting integers (boundary values, at random
// offsets or where a plausible length/count field sits), arithmetic,
// dictionary tokens and truncation. The same seed gives the same sequence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gates/fuzz/fuzz_target.h"
#include "kernels/patterns.h"

namespace bitgate::gates::fuzz {

class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<std::string> dictionary, size_t max_size)
      : rng_(seed), dictionary_(std::move(dictionary)), max_size_(max_size) {}

  // out = 1 to 4 stacked mutations of `base`; `other` is the splice partner.
  // Most offsets fall in the first `hot_prefix` bytes (0: anywhere).
  void Mutate(const Bytes& base, size_t hot_prefix, const Bytes& other, Bytes* out);

  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_.Next() % n; }

 private:
  size_t Offset(size_t size, size_t hot_prefix);
  void MutateOnce(size_t hot_prefix, const Bytes& other, Bytes* b);
  void WriteInt(Bytes* b, size_t at, uint64_t value, int width);
  bool OverwriteLengthField(size_t hot_prefix, Bytes* b);

  kernels::SplitMix64 rng_;
  std::vector<std::string> dictionary_;
  size_t max_size_;
};

}  // namespace bitgate::gates::fuzz
