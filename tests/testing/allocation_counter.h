// Counts heap allocations (malloc, calloc, realloc; operator new ends in
// malloc) made while counting is on, for tests that prove a steady-state
// path allocates nothing.
//
// Linking //tests/testing:allocation_counter replaces malloc, calloc, realloc
// and free in the test binary (glibc's documented way: forwarding to
// __libc_*). Under ASan or TSan, which own malloc, nothing is replaced and
// kCountsAllocations is false: the counts stay 0, so tests still run their
// workloads but cannot tell anything about allocation.
#pragma once

#include <cstdint>

namespace runnel::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kCountsAllocations = false;
#else
inline constexpr bool kCountsAllocations = true;
#endif

// Resets the count and starts counting (allocations on any thread count).
void StartCountingAllocations();

// Stops counting and returns the allocations counted since the last start.
uint64_t StopCountingAllocations();

}  // namespace runnel::testing
