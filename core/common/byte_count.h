// Byte counts for plan-time memory checks: how much a component will
// preallocate, computed before anything is allocated from sizes a graph file
// declares. They are uint64_t on every target, not size_t, and saturate at
// UINT64_MAX instead of wrapping, so that a 32-bit build computes the same
// numbers as a 64-bit one and refuses the same graphs: a wrapped size could
// look small and pass the check. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace runnel {

// a + b, or UINT64_MAX if that overflows.
inline uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

// a * b, or UINT64_MAX if that overflows.
inline uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  uint64_t product;
  return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

// The most bytes this process can address (SIZE_MAX: 2^32 - 1 on 32-bit
// targets). A plan needing more can never be allocated, whatever its limits
// say; one needing at most this many has every size_t product of its
// components' sizes free of wrap-around.
inline constexpr uint64_t kAddressableBytes = std::numeric_limits<size_t>::max();

}  // namespace runnel
