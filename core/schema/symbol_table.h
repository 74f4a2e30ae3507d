// SymbolTable: interns strings (device ids, names) once into fixed-capacity
// storage so rows carry a 4-byte id instead of text.
//
// All memory is allocated by the constructor; Intern, Find and Lookup never
// allocate. Running out of symbols or bytes is reported (Intern returns false)
// and the caller decides the policy.
//
// Thread safety: lock-free, no external synchronization needed.
// - Intern and Find may be called from any number of threads at once. A text
//   has at most one id: concurrent Interns of the same text all get the same
//   id, distinct texts get distinct ids, and an id, once visible, never
//   changes or goes away.
// - Lookup is wait-free and may run concurrently with Intern. It reads only
//   what was written before the id was published, so the id must have reached
//   the calling thread with a happens-before edge: returned by Intern or Find,
//   or handed over with release/acquire ordering (e.g. through a ring).
// - Find may miss a text whose Intern is still in progress in another thread;
//   it never returns an id that is not fully written.
// - size() counts published distinct symbols. It is exact once the Interns
//   that changed it happen-before the call (e.g. after joining the threads);
//   while they run it is a snapshot that may lag.
// - reserved_ids() and state() tell a checkpoint which ids exist: every id
//   below reserved_ids() is published, wasted (a lost race) or pending (an
//   Intern in progress), and only published ids are ever looked up.
// - The destructor must not run while any other call is in progress.
//
// Capacity: an Intern that adds a text first reserves one id and the text's
// bytes, then publishes. When two threads race to add the same text, both may
// reserve and only one publishes; the loser returns the winner's id and its
// reservation is wasted for good. So with concurrent Interns of the same text
// the table may fill up before size() reaches max_symbols() (or before
// max_bytes() bytes hold published text). Single-threaded use wastes nothing.
// Intern returns false, changing nothing, exactly when the reservation does
// not fit in what is left; this can also happen to one of two racing Interns
// of the same text when the other takes the last slot.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace runnel::schema {

class SymbolTable {
 public:
  static constexpr uint32_t kDefaultMaxSymbols = 1 << 16;
  static constexpr uint32_t kDefaultMaxBytes = 1 << 20;

  SymbolTable(uint32_t max_symbols = kDefaultMaxSymbols,
              uint32_t max_bytes = kDefaultMaxBytes);

  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Sets *id to the id of `text`, adding it if it is new. Returns false,
  // leaving the table unchanged, when the table is out of symbols or bytes
  // (see Capacity above).
  bool Intern(std::string_view text, uint32_t* id);

  // Sets *id and returns true if `text` is interned already.
  bool Find(std::string_view text, uint32_t* id) const;

  // REQUIRES: id was returned by Intern or Find in this thread, or passed to
  // this thread with release/acquire ordering from a thread where it was.
  std::string_view Lookup(uint32_t id) const {
    return std::string_view(bytes_.get() + spans_[id].start, spans_[id].length);
  }

  uint32_t size() const { return size_.load(std::memory_order_relaxed); }

  // Checkpoints (docs/STATE.md). Ids handed out so far, published or not.
  uint32_t reserved_ids() const {
    return static_cast<uint32_t>(reserved_.load(std::memory_order_acquire) >> 32);
  }
  enum class IdState : uint8_t { kPending, kPublished, kWasted };
  // Of an id below reserved_ids(); kPublished makes Lookup(id) safe here.
  IdState state(uint32_t id) const {
    return static_cast<IdState>(states_[id].load(std::memory_order_acquire));
  }
  // Restoring a checkpoint, single-threaded, before any other use: gives
  // `text` the id `id` (ids skipped before it stay unused). False when the
  // id was handed out already, the text is interned, or it does not fit.
  bool RestoreAt(uint32_t id, std::string_view text);
  uint32_t max_symbols() const { return max_symbols_; }
  uint32_t max_bytes() const { return max_bytes_; }
  // Bytes preallocated by the constructor.
  uint64_t footprint_bytes() const;
  // Bytes SymbolTable(max_symbols, max_bytes) preallocates, without
  // allocating (plan-time memory checks; 64 bits on every target,
  // core/common/byte_count.h).
  static uint64_t FootprintBytes(uint32_t max_symbols, uint32_t max_bytes);

 private:
  // Where an id's text lives in bytes_. Written once, by the thread that
  // reserved the id, before the id is published.
  struct Span {
    uint32_t start;
    uint32_t length;
  };

  static uint64_t Hash(std::string_view text);
  uint32_t HomeBucket(std::string_view text) const;
  // Reserves an id and text.size() bytes, copies the text in and records its
  // span. Returns false, reserving nothing, when either does not fit.
  bool Reserve(std::string_view text, uint32_t* id);

  uint32_t max_symbols_;
  uint32_t max_bytes_;
  uint32_t bucket_mask_;
  // Ids reserved (high 32 bits) and bytes reserved (low 32 bits), in one word
  // so both are taken together or not at all.
  std::atomic<uint64_t> reserved_{0};
  std::atomic<uint32_t> size_{0};
  // id + 1, or 0 when empty. A bucket changes at most once, from 0, with a
  // release compare-exchange; readers load it with acquire.
  // The arrays start as zero bytes from calloc, not value-initialized:
  // fresh pages from the system are zero already, so only what gets written
  // becomes resident. (Value-initialized arrays wrote 1.1 MB of the default
  // table at start.)
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<std::atomic<uint32_t>[], Free> buckets_;
  std::unique_ptr<Span[], Free> spans_;  // written before an id is published
  std::unique_ptr<std::atomic<uint8_t>[], Free> states_;  // IdState per id
  std::unique_ptr<char[]> bytes_;
};

}  // namespace runnel::schema
