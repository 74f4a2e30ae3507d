#include "tests/testing/allocation_counter.h"

#include <stddef.h>

#include <atomic>

namespace runnel::testing {
namespace {

std::atomic<bool> counting{false};
std::atomic<uint64_t> allocations{0};

[[maybe_unused]] void Counted() {
  if (counting.load(std::memory_order_relaxed))
    allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void StartCountingAllocations() {
  allocations.store(0, std::memory_order_relaxed);
  counting.store(true, std::memory_order_seq_cst);
}

uint64_t StopCountingAllocations() {
  counting.store(false, std::memory_order_seq_cst);
  return allocations.load(std::memory_order_relaxed);
}

}  // namespace runnel::testing

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void __libc_free(void* pointer);

void* malloc(size_t size) noexcept {
  runnel::testing::Counted();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) noexcept {
  runnel::testing::Counted();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, size_t size) noexcept {
  runnel::testing::Counted();
  return __libc_realloc(pointer, size);
}
void free(void* pointer) noexcept { __libc_free(pointer); }
}  // extern "C"
#endif
