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
// All memory is allocated by the constructor: a binary min-heap of the
// distinct pending times, each time holding its timers in a FIFO list
// (registration order), stable entry storage holding the keys, an
// open-addressing index from (key, time) to the entry, and one from time to
// its list. Timers of one operator mostly share few times (every tumbling
// window of a size ends together), so Add and PopDue usually touch no heap
// at all: O(1) expected, O(log t) for t distinct times when a time appears
// or empties. Add, Cancel and PopDue never allocate. A full store is
// reported (AddOutcome::kFull) and the caller decides the policy.
//
// Not thread-safe: a TimerHeap belongs to the one task that runs its
// operator. Keys passed in are copied; the TimerHeap keeps no pointer to
// caller memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/schema/row.h"
#include "core/state/tracked_array.h"

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

  // Registers a timer the caller knows is not pending, skipping the
  // duplicate check: it is not in the (key, time) index, so Cancel does not
  // find it; CancelHandle does. Returns its handle, or kNoHandle when
  // capacity() timers are pending. Order among equal times is as for Add.
  // REQUIRES: key points to key_slots() slots.
  static constexpr uint32_t kNoHandle = UINT32_MAX;
  uint32_t Push(const schema::Slot* key, int64_t time);

  // Removes the pending timer Push returned `handle` for.
  // REQUIRES: that timer is still pending (not popped or cancelled).
  void CancelHandle(uint32_t handle);

  // Removes the timer for (key, time); false if there is none.
  // REQUIRES: as for Add.
  bool Cancel(const schema::Slot* key, uint64_t key_hash, int64_t time);

  // If the earliest timer has time <= up_to, removes it, copies its key into
  // key_out (key_slots() slots) and its time into *time, and returns true.
  // Otherwise returns false and leaves *time and key_out alone.
  bool PopDue(int64_t up_to, int64_t* time, schema::Slot* key_out);

  // Earliest pending time, or INT64_MAX when empty.
  int64_t next_time() const {
    return groups_size_ == 0 ? INT64_MAX : groups_[heap_[0]].time;
  }

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint32_t capacity() const { return capacity_; }
  uint32_t key_slots() const { return key_slots_; }
  // Bytes allocated by the constructor.
  uint64_t footprint_bytes() const;
  // Bytes TimerHeap(capacity, key_slots) allocates, without allocating
  // (plan-time memory checks: 64 bits on every target, saturating;
  // byte_count.h).
  static uint64_t FootprintBytes(uint32_t capacity, uint32_t key_slots);

  // Rescaling (docs/STATE.md, Changing parallelism), at restore time:
  // calls fn(uint32_t handle, const schema::Slot* key, int64_t time, bool
  // pushed) for every pending timer, those of one time in registration
  // order (times in no particular order); `pushed`: registered by Push, the
  // handle its own. REQUIRES: fn does not modify the heap.
  template <typename Fn>
  void ForEachPending(Fn&& fn) const {
    for (uint32_t pos = 0; pos < groups_size_; ++pos) {
      const Group& group = groups_[heap_[pos]];
      for (uint32_t e = group.head; e != kEmpty; e = entries_[e].next) {
        fn(e, key_of(e), entries_[e].time, !entries_[e].indexed);
      }
    }
  }

  // Checkpoints, as KeyedTable's: the arrays (TrackedArrays) and scalars of
  // a heap constructed with the same capacity and key_slots.
  void EnableTracking();
  void AppendRegions(TrackedRegion** regions, uint32_t* count);
  static constexpr uint32_t kRegions = 8;
  struct Scalars {
    uint32_t size, groups_size, last_group;
  };
  Scalars SaveScalars() const { return Scalars{size_, groups_size_, last_group_}; }
  void RestoreScalars(const Scalars& s) {
    size_ = s.size;
    groups_size_ = s.groups_size;
    last_group_ = s.last_group;
  }

 private:
  static constexpr uint32_t kEmpty = IdArray::kNone;

  // Stable storage for one pending timer; its id does not change while the
  // timer is pending.
  struct Entry {
    int64_t time;
    uint64_t hash;  // mixed (key_hash, time); the index home is its low bits
    bool indexed;   // false for timers from Push
    uint32_t group;       // the time's list
    uint32_t prev, next;  // neighbours in that list, or kEmpty
  };

  // The timers of one pending time, in registration order.
  struct Group {
    int64_t time;
    uint32_t head, tail;  // entry ids
    uint32_t heap_pos;    // where heap_ holds this group; kept by sifts
  };

  static uint64_t Mix(uint64_t key_hash, int64_t time);

  const schema::Slot* key_of(uint32_t entry) const {
    return keys_.data() + size_t{entry} * key_slots_;
  }

  // The bucket whose entry is (key, time), or the empty bucket ending its
  // probe sequence.
  uint32_t Probe(const schema::Slot* key, uint64_t hash, int64_t time) const;
  // The bucket holding `entry`. REQUIRES: entry is pending.
  uint32_t BucketOf(uint32_t entry) const;
  // The time index's bucket for `time`: its group, or the empty bucket
  // ending the probe sequence.
  uint32_t ProbeTime(int64_t time) const;
  // Empties `bucket` of an open-addressing index and shifts later members of
  // its cluster back so every probe sequence stays unbroken (no tombstones).
  // home(id) is where the id's probe sequence starts.
  template <typename Home>
  void EraseBucket(IdArray* buckets, uint32_t bucket, Home home);
  void EraseEntryBucket(uint32_t bucket);
  void EraseTimeBucket(uint32_t bucket);

  // The group of `time`, created (and put on the heap) if there is none.
  uint32_t GroupFor(int64_t time);
  // Takes a free entry for `time` and appends it to the time's list.
  // REQUIRES: size() < capacity().
  uint32_t NewEntry(const schema::Slot* key, int64_t time, uint64_t hash,
                    bool indexed);
  // Unlinks `entry` from its group, drops the group if that empties it, and
  // frees the entry. Its index bucket must already be erased.
  void Unlink(uint32_t entry);

  // The group heap, ordered by time (times are distinct).
  void Place(uint32_t pos, uint32_t group) {
    heap_.Mut(pos) = group;
    groups_.Mut(group).heap_pos = pos;
  }
  bool Before(uint32_t a, uint32_t b) const {
    return groups_[a].time < groups_[b].time;
  }
  void SiftUp(uint32_t pos, uint32_t group);
  void SiftDown(uint32_t pos, uint32_t group);
  void RemoveGroup(uint32_t group);
  // The id at `pos` of a free stack: low ids are handed out first.
  uint32_t FreeId(const IdArray& stack, uint32_t pos) const {
    const uint32_t id = stack[pos];
    return id == kEmpty ? capacity_ - 1 - pos : id;
  }

  uint32_t capacity_;
  uint32_t key_slots_;
  uint32_t bucket_mask_;
  uint32_t size_ = 0;     // pending timers
  uint32_t groups_size_ = 0;  // pending distinct times
  uint32_t last_group_ = kEmpty;  // the group Add used last (a likely hit)
  TrackedArray<Entry> entries_;      // by entry id
  TrackedArray<schema::Slot> keys_;  // key_slots_ per entry id
  // The free ids, a stack popped from its end: free_[0, capacity_ - size_).
  // A position never written holds its first id (FreeId), so the stack
  // starts full without being written.
  IdArray free_;
  IdArray buckets_;   // (key, time) index: entry id or kEmpty
  TrackedArray<Group> groups_;  // by group id
  IdArray free_groups_;  // free group ids, like free_: [0, capacity_ - groups_size_)
  TrackedArray<uint32_t> heap_;  // heap_[0, groups_size_): group ids
  IdArray time_buckets_;  // time index: group id or kEmpty
};

}  // namespace runnel::state
