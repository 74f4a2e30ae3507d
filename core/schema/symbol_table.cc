#include "core/schema/symbol_table.h"

#include <cstdlib>
#include <cstring>

namespace runnel::schema {
namespace {

// Both counters must move in one lock-free step on every target we build for.
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "SymbolTable needs lock-free 64-bit atomics");
static_assert(std::atomic<uint32_t>::is_always_lock_free,
              "SymbolTable needs lock-free 32-bit atomics");

constexpr int kIdShift = 32;

uint32_t BucketCountFor(uint32_t max_symbols) {
  // At most half full, so probes stay short and always reach an empty bucket:
  // at most max_symbols ids can ever be reserved, hence published.
  uint32_t buckets = 16;
  while (buckets < 2 * static_cast<uint64_t>(max_symbols)) buckets *= 2;
  return buckets;
}

// `n` (at least 1) zero-filled T; aborts when the system has no memory left,
// as `new` would.
template <typename T>
T* Zeroed(uint32_t n) {
  void* p = std::calloc(n > 0 ? n : 1, sizeof(T));
  if (p == nullptr) std::abort();
  return static_cast<T*>(p);
}

}  // namespace

SymbolTable::SymbolTable(uint32_t max_symbols, uint32_t max_bytes)
    : max_symbols_(max_symbols),
      max_bytes_(max_bytes),
      bucket_mask_(BucketCountFor(max_symbols) - 1),
      buckets_(Zeroed<std::atomic<uint32_t>>(bucket_mask_ + 1)),
      spans_(Zeroed<Span>(max_symbols)),
      states_(Zeroed<std::atomic<uint8_t>>(max_symbols)),
      bytes_(new char[max_bytes > 0 ? max_bytes : 1]) {}

void SymbolTable::Free::operator()(void* p) const { std::free(p); }

uint64_t SymbolTable::Hash(std::string_view text) {
  // FNV-1a: short keys, good spread, no tables.
  uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

uint32_t SymbolTable::HomeBucket(std::string_view text) const {
  return static_cast<uint32_t>(Hash(text)) & bucket_mask_;
}

bool SymbolTable::Find(std::string_view text, uint32_t* id) const {
  for (uint32_t bucket = HomeBucket(text);;
       bucket = (bucket + 1) & bucket_mask_) {
    // Acquire: the text of the id we read is visible before we compare it.
    uint32_t entry = buckets_[bucket].load(std::memory_order_acquire);
    if (entry == 0) return false;
    if (Lookup(entry - 1) == text) {
      *id = entry - 1;
      return true;
    }
  }
}

bool SymbolTable::Reserve(std::string_view text, uint32_t* id) {
  // Relaxed: the counter only hands out disjoint ranges; the data written
  // into them is published by the bucket's release compare-exchange.
  uint64_t reserved = reserved_.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    uint32_t ids = static_cast<uint32_t>(reserved >> kIdShift);
    uint32_t bytes = static_cast<uint32_t>(reserved);
    if (ids == max_symbols_ || text.size() > max_bytes_ - bytes) return false;
    next = reserved + (uint64_t{1} << kIdShift) + text.size();
  } while (!reserved_.compare_exchange_weak(
      reserved, next, std::memory_order_relaxed, std::memory_order_relaxed));
  *id = static_cast<uint32_t>(reserved >> kIdShift);
  uint32_t start = static_cast<uint32_t>(reserved);
  if (!text.empty()) {  // an empty view's data() may be null
    std::memcpy(bytes_.get() + start, text.data(), text.size());
  }
  spans_[*id] = Span{start, static_cast<uint32_t>(text.size())};
  return true;
}

bool SymbolTable::Intern(std::string_view text, uint32_t* id) {
  // Each bucket is visited at most once: a bucket only ever goes from empty
  // to holding an id, so a lost compare-exchange tells us who is there now.
  // Threads adding the same text walk the same buckets, so whichever fills
  // the first empty one on the way wins, and the others find it there.
  bool reserved = false;
  uint32_t mine = 0;
  for (uint32_t bucket = HomeBucket(text);;
       bucket = (bucket + 1) & bucket_mask_) {
    uint32_t entry = buckets_[bucket].load(std::memory_order_acquire);
    if (entry == 0) {
      // Reserve only once we know the text is missing, and keep the
      // reservation if another text takes this bucket first.
      if (!reserved && !Reserve(text, &mine)) return false;
      reserved = true;
      // Release publishes the text and span written by Reserve; on failure,
      // acquire makes the winner's text readable.
      if (buckets_[bucket].compare_exchange_strong(entry, mine + 1,
                                                   std::memory_order_release,
                                                   std::memory_order_acquire)) {
        size_.fetch_add(1, std::memory_order_relaxed);
        states_[mine].store(static_cast<uint8_t>(IdState::kPublished),
                            std::memory_order_release);
        *id = mine;
        return true;
      }
    }
    if (Lookup(entry - 1) == text) {
      // Already there, or we lost the race to an equal text: any reservation
      // we hold is never published, so no reader can see it.
      if (reserved) {
        states_[mine].store(static_cast<uint8_t>(IdState::kWasted), std::memory_order_release);
      }
      *id = entry - 1;
      return true;
    }
  }
}

bool SymbolTable::RestoreAt(uint32_t id, std::string_view text) {
  uint32_t found = 0;
  if (id < reserved_ids() || id >= max_symbols_ || Find(text, &found)) return false;
  for (uint32_t skipped = reserved_ids(); skipped < id; ++skipped) {
    states_[skipped].store(static_cast<uint8_t>(IdState::kWasted), std::memory_order_relaxed);
  }
  // The ids before it are used up: the next reservation is `id`.
  const uint64_t bytes = reserved_.load(std::memory_order_relaxed) & 0xffffffffu;
  reserved_.store((uint64_t{id} << kIdShift) | bytes, std::memory_order_relaxed);
  uint32_t got = 0;
  return Intern(text, &got) && got == id;
}

uint64_t SymbolTable::footprint_bytes() const {
  return FootprintBytes(max_symbols_, max_bytes_);
}

uint64_t SymbolTable::FootprintBytes(uint32_t max_symbols, uint32_t max_bytes) {
  // As BucketCountFor, in 64 bits: no wrap for any max_symbols. Each term
  // is below 2^40, so the sum cannot overflow 64 bits.
  uint64_t buckets = 16;
  while (buckets < 2 * static_cast<uint64_t>(max_symbols)) buckets *= 2;
  return sizeof(std::atomic<uint32_t>) * buckets +
         (sizeof(Span) + sizeof(std::atomic<uint8_t>)) *
             uint64_t{max_symbols > 0 ? max_symbols : 1u} +
         uint64_t{max_bytes > 0 ? max_bytes : 1u};
}

}  // namespace runnel::schema
