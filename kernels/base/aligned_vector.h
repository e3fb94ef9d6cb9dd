// A std::vector whose storage starts on a 64-byte boundary (a cache line
// and an AVX-512 register), for buffers the SIMD kernels read in 64-byte
// pieces: from a heap block that is only 16-byte aligned, three in four
// such loads split a cache line.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace bitgate {

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};

  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }

  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace bitgate
