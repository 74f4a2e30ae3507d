// TimerHeap: the fixed-capacity timer store behind a keyed process function's
// event-time and processing-time timers (one TimerHeap per time domain).
//
// Semantics follow Flink's timer service: a timer is a (key, time) pair;
// registering the same pair again keeps the one timer already there; a timer
// fires once, when the watermark (or processing clock) reaches its time; and
// timers with equal time fire in the order they were registered.
//
// A key is `key_slots` 8-byte schema::Slots, compared bytewise (memcmp), so a
// key must be plain data with no padding garbage (as rows are). The caller
// hashes the key (the keyed table already has that hash) and passes it in;
// equal keys must always be passed equal hashes, while unequal keys may share
// one (collisions only cost probe time).
//
// All memory is allocated by the constructor: a binary min-heap ordered by
// (time, registration sequence), stable entry storage holding the keys, and
// an open-addressing index from (key, time) to the entry. Add, Cancel and
// PopDue never allocate; they run in O(log n), and duplicate detection in
// O(1) expected. A full store is reported (AddOutcome::kFull) and the caller
// decides the policy.
//
// Not thread-safe: a TimerHeap belongs to the one task that runs its
// operator. Keys passed in are copied; the TimerHeap keeps no pointer to
// caller memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/schema/row.h"

namespace runnel::state {

class TimerHeap {
 public:
  // Room for `capacity` timers, each for a key of `key_slots` slots
  // (key_slots may be 0 for timers that belong to no key).
  TimerHeap(uint32_t capacity, uint32_t key_slots);

  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  enum class AddOutcome {
    kAdded,      // a new timer is pending
    kDuplicate,  // (key, time) was pending already; nothing changed
    kFull,       // capacity() timers are pending; nothing changed
  };

  // Registers a timer for (key, time). A duplicate keeps its original place
  // among timers of equal time.
  // REQUIRES: key points to key_slots() slots; equal keys, equal key_hash.
  AddOutcome Add(const schema::Slot* key, uint64_t key_hash, int64_t time);

  // Removes the timer for (key, time); false if there is none.
  // REQUIRES: as for Add.
  bool Cancel(const schema::Slot* key, uint64_t key_hash, int64_t time);

  // If the earliest timer has time <= up_to, removes it, copies its key into
  // key_out (key_slots() slots) and its time into *time, and returns true.
  // Otherwise returns false and leaves *time and key_out alone.
  bool PopDue(int64_t up_to, int64_t* time, schema::Slot* key_out);

  // Earliest pending time, or INT64_MAX when empty.
  int64_t next_time() const;

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint32_t capacity() const { return capacity_; }
  uint32_t key_slots() const { return key_slots_; }
  // Bytes allocated by the constructor.
  size_t footprint_bytes() const;

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;

  // A heap node. Time and sequence live here, not behind `entry`, so sifting
  // compares without chasing pointers.
  struct Node {
    int64_t time;
    uint64_t seq;    // registration order; breaks ties between equal times
    uint32_t entry;  // index into entries_ and keys_
  };

  // Stable storage for one pending timer; its id does not change while the
  // timer is pending, so the index never has to follow heap swaps.
  struct Entry {
    int64_t time;
    uint64_t hash;  // mixed (key_hash, time); the index home is its low bits
    uint32_t heap_pos;  // where nodes_ holds this entry; kept current by sifts
  };

  static uint64_t Mix(uint64_t key_hash, int64_t time);
  static bool Before(const Node& a, const Node& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }

  const schema::Slot* key_of(uint32_t entry) const {
    return keys_.get() + size_t{entry} * key_slots_;
  }
  schema::Slot* key_of(uint32_t entry) {
    return keys_.get() + size_t{entry} * key_slots_;
  }

  // The bucket whose entry is (key, time), or the empty bucket ending its
  // probe sequence.
  uint32_t Probe(const schema::Slot* key, uint64_t hash, int64_t time) const;
  // The bucket holding `entry`. REQUIRES: entry is pending.
  uint32_t BucketOf(uint32_t entry) const;
  // Empties `bucket` and shifts later members of its cluster back so every
  // probe sequence stays unbroken (no tombstones).
  void EraseBucket(uint32_t bucket);

  // Puts `node` at heap position `pos` and records the position in its entry.
  void Place(uint32_t pos, const Node& node) {
    nodes_[pos] = node;
    entries_[node.entry].heap_pos = pos;
  }
  void SiftUp(uint32_t pos, Node node);
  void SiftDown(uint32_t pos, Node node);
  // Removes the node at heap position `pos` and frees its entry.
  void RemoveAt(uint32_t pos);

  uint32_t capacity_;
  uint32_t key_slots_;
  uint32_t bucket_mask_;
  uint32_t size_ = 0;
  uint64_t next_seq_ = 0;
  std::unique_ptr<Node[]> nodes_;         // nodes_[0, size_) is the heap
  std::unique_ptr<Entry[]> entries_;      // by entry id
  std::unique_ptr<schema::Slot[]> keys_;  // key_slots_ per entry id
  std::unique_ptr<uint32_t[]> free_;      // free_[0, capacity_ - size_) ids
  std::unique_ptr<uint32_t[]> buckets_;   // entry id, or kEmpty
};

}  // namespace runnel::state
