// State memory: where the arrays of keyed tables and timer heaps live.
//
// Small arrays come from malloc/calloc. Arrays of 2 MiB and more are
// anonymous mappings aligned to 2 MiB whose whole 2 MiB pages are offered
// to the kernel for transparent huge pages (madvise; a kernel without them
// keeps small pages): a table of a million keys is then touched in a few
// hundred page faults instead of tens of thousands — at start, when a
// checkpoint restore writes it, and on the hot path's TLB. Mapped memory is
// always zeroed, so a `zeroed` array costs nothing until it is written.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>

namespace runnel::state {

// `bytes` of memory (at least 1), all zero when `zeroed`; aborts when the
// system has none left (as `new` would end the process; plans are checked
// against memory_limit before anything is allocated).
void* AllocateState(size_t bytes, bool zeroed);
// Gives back what AllocateState(bytes, ...) returned.
void FreeState(void* memory, size_t bytes);

// An owned array of `n` plain elements in state memory: zero bytes when
// `zeroed`, else uninitialized.
template <typename T>
class StateArray {
  static_assert(std::is_trivially_copyable<T>::value &&
                    std::is_trivially_default_constructible<T>::value,
                "elements start as raw (or zeroed) memory");

 public:
  explicit StateArray(size_t n, bool zeroed = false)
      : data_(static_cast<T*>(AllocateState(n * sizeof(T), zeroed)), Free{n * sizeof(T)}),
        size_(n) {}

  T* get() const { return data_.get(); }
  T& operator[](size_t i) const { return data_.get()[i]; }
  size_t size() const { return size_; }

 private:
  struct Free {
    size_t bytes;
    void operator()(T* p) const { FreeState(p, bytes); }
  };

  std::unique_ptr<T, Free> data_;
  size_t size_;
};

}  // namespace runnel::state
