#include "gates/fuzz/mutator.h"

#include <algorithm>
#include <cstring>

namespace bitgate::gates::fuzz {
namespace {

// Boundary values that break size arithmetic: zero, one, sign bits, all
// ones, powers of two around common widths, and their neighbours.
constexpr uint64_t kInteresting[] = {0,
                                     1,
                                     2,
                                     3,
                                     4,
                                     7,
                                     8,
                                     16,
                                     31,
                                     32,
                                     64,
                                     127,
                                     128,
                                     255,
                                     256,
                                     1023,
                                     1024,
                                     4096,
                                     65535,
                                     65536,
                                     0x7fffffffull,
                                     0x80000000ull,
                                     0xffffffffull,
                                     0x100000000ull,
                                     0x7fffffffffffffffull,
                                     0x8000000000000000ull,
                                     0xffffffffffffffffull,
                                     0xfffffffffffffff0ull,
                                     0x0fffffffffffffffull,
                                     0x1000000000000000ull};

}  // namespace

size_t Mutator::Offset(size_t size, size_t hot_prefix) {
  if (size == 0) return 0;
  if (hot_prefix > 0 && hot_prefix < size && Below(10) != 0) return Below(hot_prefix);
  return Below(size);
}

void Mutator::WriteInt(Bytes* b, size_t at, uint64_t value, int width) {
  if (b->size() < static_cast<size_t>(width)) return;
  at = std::min(at, b->size() - width);
  for (int i = 0; i < width; ++i) (*b)[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// Finds, from a random offset, a little-endian u64 or u32 whose value is a
// plausible count or length (1 .. input size) and replaces it with a
// boundary value or a near neighbour: that is where parsers trust input.
bool Mutator::OverwriteLengthField(size_t hot_prefix, Bytes* b) {
  const size_t size = b->size();
  if (size < 8) return false;
  const int width = Below(2) ? 8 : 4;
  const size_t start = Offset(size, hot_prefix);
  for (size_t k = 0; k < 256; ++k) {
    const size_t at = start + k;
    if (at + width > size) break;
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v |= static_cast<uint64_t>((*b)[at + i]) << (8 * i);
    if (v == 0 || v > size) continue;
    uint64_t replacement = 0;
    switch (Below(4)) {
      case 0: replacement = kInteresting[Below(std::size(kInteresting))]; break;
      case 1: replacement = v + 1 + Below(16); break;
      case 2: replacement = v - 1; break;
      default: replacement = v * (2 + Below(1000)); break;
    }
    WriteInt(b, at, replacement, width);
    return true;
  }
  return false;
}

void Mutator::MutateOnce(size_t hot_prefix, const Bytes& other, Bytes* b) {
  const size_t size = b->size();
  switch (Below(11)) {
    case 0:  // flip one bit
      if (size) (*b)[Offset(size, hot_prefix)] ^= static_cast<uint8_t>(1u << Below(8));
      break;
    case 1:  // random byte
      if (size) (*b)[Offset(size, hot_prefix)] = static_cast<uint8_t>(rng_.Next());
      break;
    case 2: {  // insert random bytes
      const size_t at = Offset(size + 1, hot_prefix);
      const size_t n = 1 + Below(16);
      Bytes ins(n);
      for (auto& x : ins) x = static_cast<uint8_t>(rng_.Next());
      b->insert(b->begin() + static_cast<ptrdiff_t>(std::min(at, size)), ins.begin(), ins.end());
      break;
    }
    case 3: {  // delete a range
      if (size < 2) break;
      const size_t at = Offset(size, hot_prefix);
      const size_t n = std::min(size - at, 1 + Below(Below(4) == 0 ? size / 8 + 1 : 16));
      b->erase(b->begin() + static_cast<ptrdiff_t>(at), b->begin() + static_cast<ptrdiff_t>(at + n));
      break;
    }
    case 4: {  // copy a chunk over another place
      if (size < 2) break;
      const size_t from = Offset(size, hot_prefix), to = Offset(size, hot_prefix);
      const size_t n = std::min({size - from, size - to, 1 + Below(32)});
      std::memmove(b->data() + to, b->data() + from, n);
      break;
    }
    case 5: {  // splice: our head, the other input's tail
      if (other.empty()) break;
      const size_t cut = Offset(size + 1, hot_prefix);
      const size_t from = Below(other.size());
      b->resize(std::min(cut, size));
      b->insert(b->end(), other.begin() + static_cast<ptrdiff_t>(from), other.end());
      break;
    }
    case 6: {  // interesting integer at a random offset
      static constexpr int kWidths[] = {1, 2, 4, 8};
      WriteInt(b, Offset(size, hot_prefix), kInteresting[Below(std::size(kInteresting))], kWidths[Below(4)]);
      break;
    }
    case 7:  // interesting integer where a length or count sits
      OverwriteLengthField(hot_prefix, b);
      break;
    case 8:  // truncate
      if (size) b->resize(Below(size));
      break;
    case 9: {  // dictionary token: insert or overwrite
      if (dictionary_.empty()) break;
      const std::string& tok = dictionary_[Below(dictionary_.size())];
      const size_t at = std::min(Offset(size + 1, hot_prefix), size);
      if (Below(2) || at + tok.size() > size) {
        b->insert(b->begin() + static_cast<ptrdiff_t>(at), tok.begin(), tok.end());
      } else {
        std::memcpy(b->data() + at, tok.data(), tok.size());
      }
      break;
    }
    default: {  // small arithmetic on a byte
      if (size) {
        auto& x = (*b)[Offset(size, hot_prefix)];
        x = static_cast<uint8_t>(x + static_cast<uint8_t>(Below(35)) - 17);
      }
      break;
    }
  }
}

void Mutator::Mutate(const Bytes& base, size_t hot_prefix, const Bytes& other, Bytes* out) {
  *out = base;
  const int n = 1 + static_cast<int>(Below(4));
  for (int i = 0; i < n; ++i) MutateOnce(hot_prefix, other, out);
  if (out->size() > max_size_) out->resize(max_size_);
}

}  // namespace bitgate::gates::fuzz
