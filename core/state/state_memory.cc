#include "core/state/state_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace runnel::state {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

bool Mapped(size_t bytes) { return bytes >= kHugePage; }

// The mapping: whole pages (4 KiB on most boards, 16 KiB on some), so
// nothing past the array can become resident; only its whole huge pages
// are offered as such.
size_t MappedBytes(size_t bytes) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

void* AllocateState(size_t bytes, bool zeroed) {
  if (bytes == 0) bytes = 1;
  if (!Mapped(bytes)) {
    void* p = zeroed ? std::calloc(1, bytes) : std::malloc(bytes);
    if (p == nullptr) std::abort();
    return p;
  }
  // Map one huge page more than needed and unmap the ends, so the start is
  // aligned to a huge page.
  const size_t length = MappedBytes(bytes);
  void* raw = mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) std::abort();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + length + kHugePage;
  if (end > aligned + length) munmap(reinterpret_cast<void*>(aligned + length), end - aligned - length);
  void* p = reinterpret_cast<void*>(aligned);
  // A hint for the whole huge pages only (EINVAL without THP is fine): a
  // partial last one would make up to 2 MiB resident beyond the array,
  // which the plan's memory budget does not count.
  madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
  return p;
}

void FreeState(void* memory, size_t bytes) {
  if (memory == nullptr) return;
  if (bytes == 0) bytes = 1;
  if (!Mapped(bytes)) {
    std::free(memory);
    return;
  }
  munmap(memory, MappedBytes(bytes));
}

}  // namespace runnel::state
