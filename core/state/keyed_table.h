// KeyedTable: the fixed-capacity hash table that holds one operator's keyed
// state (a window pane, a running aggregate, a dedupe marker) per key.
//
// Keys and values are fixed numbers of 8-byte schema::Slots, copied in and
// compared bytewise (memcmp), so a key is plain data like a row. The
// constructor allocates all memory; no other call allocates, so the table
// can sit on the hot path. When the table is full, the OverflowPolicy decides
// (fail, drop the new key, or evict the least recently updated entry), and an
// optional TTL expires entries that have not been updated for a while. Each
// entry remembers when it was last updated; a recency list through the
// entries makes eviction and expiry O(1) per entry.
//
// The caller supplies each key's hash (HashKey, usually computed once per row
// by the partitioner), and must pass the same hash for the same key every
// time. The table uses the hash's low bits.
//
// Value pointers returned by FindOrInsert and Find stay valid until their
// entry is erased, evicted or expired (entries never move in memory), or the
// table is destroyed.
//
// Not thread-safe: a table is owned by one thread (one operator instance).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/schema/row.h"
#include "core/state/tracked_array.h"

namespace runnel::state {

enum class OverflowPolicy {
  kFail,         // FindOrInsert of a new key returns kFull
  kEvictOldest,  // the least recently updated entry makes room
  kDropNew,      // the new key is dropped and counted
};

struct KeyedTableOptions {
  uint32_t capacity = 1024;  // max live entries; at most kMaxCapacity
  uint32_t key_slots = 1;    // key width in 8-byte schema::Slots
  uint32_t value_slots = 1;  // value width in Slots
  OverflowPolicy policy = OverflowPolicy::kFail;
  int64_t ttl = 0;  // <= 0: entries never expire; else same unit as `now`
  // Keep the recency list. It costs two links touched per update; without
  // it, First/Next/ForEach see no entries. Always kept with a TTL or
  // kEvictOldest, which need it.
  bool recency = true;
};

class KeyedTable {
 public:
  // Larger capacities are clamped to this (the bucket array is indexed by
  // uint32 and is at least twice the capacity).
  static constexpr uint32_t kMaxCapacity = uint32_t{1} << 31;

  // Allocates all the memory the table will ever use.
  explicit KeyedTable(const KeyedTableOptions& options);

  KeyedTable(const KeyedTable&) = delete;
  KeyedTable& operator=(const KeyedTable&) = delete;

  enum class Outcome { kFound, kInserted, kFull, kDropped };

  // Finds the entry for `key` (key_slots Slots) or inserts one with its value
  // slots zeroed. Sets *value to its value slots and stamps its last-update
  // time to `now`, making it the most recently updated entry.
  //
  // When a new key meets a full table: kFail returns kFull and kDropNew
  // returns kDropped (counted in dropped()), both leaving the entries and
  // *value untouched; kEvictOldest evicts the least recently updated entry
  // (counted in evicted()) and inserts.
  //
  // If ttl > 0, entries last updated before now - ttl are expired first
  // (counted in expired()), so an expired key is inserted afresh and a table
  // full of expired entries has room.
  //
  // Time never runs backwards inside the table: the table's clock is the
  // largest `now` given to FindOrInsert or Expire, and stamps and expiry use
  // that clock. (This keeps the recency list sorted by stamp.)
  Outcome FindOrInsert(const schema::Slot* key, uint64_t hash, int64_t now,
                       schema::Slot** value);

  // The value slots of `key`, or nullptr. Does not change recency. With a
  // TTL, sees exactly the entries live at the table's clock (every call that
  // advances the clock expires first).
  schema::Slot* Find(const schema::Slot* key, uint64_t hash);
  const schema::Slot* Find(const schema::Slot* key, uint64_t hash) const;

  // Hints that `hash` is about to be looked up: PrefetchBucket loads its
  // home bucket; PrefetchEntry, called once that bucket is likely loaded,
  // loads the key and value of the entry sitting there. Changes nothing.
  void PrefetchBucket(uint64_t hash) const {
    __builtin_prefetch(&buckets_[static_cast<uint32_t>(hash) & bucket_mask_]);
  }
  void PrefetchEntry(uint64_t hash) const {
    const Bucket& b = buckets_[static_cast<uint32_t>(hash) & bucket_mask_];
    if (b.entry() == kNil) return;
    __builtin_prefetch(KeyOf(b.entry()));
    __builtin_prefetch(ValueOf(b.entry()), 1);
    values_.PrefetchMark(size_t{b.entry()} * value_slots_ * sizeof(schema::Slot));
  }

  // Hints that the live entry at `cursor` is about to be read and erased.
  void PrefetchCursor(uint32_t cursor) const {
    __builtin_prefetch(KeyOf(cursor));
    __builtin_prefetch(&buckets_[bucket_of_[cursor]], 1);
  }

  // Removes the entry for `key`; false if there is none.
  bool Erase(const schema::Slot* key, uint64_t hash);

  // Removes the entries last updated before now - ttl (none when ttl == 0)
  // and returns how many. Costs O(1) per entry removed plus O(1).
  uint32_t Expire(int64_t now);

  // Calls fn(const schema::Slot* key, const schema::Slot* value) for each
  // live entry, least recently updated first (none without the recency
  // list).
  // REQUIRES: fn does not modify the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uint32_t e = oldest_; e != kNil; e = links_[e].next) {
      const schema::Slot* key = KeyOf(e);
      const schema::Slot* value = ValueOf(e);
      fn(key, value);
    }
  }

  // Cursor iteration, least recently updated first (none without the
  // recency list), for callers that must
  // stop and resume (emitting results batch by batch):
  //   for (uint32_t c = t.First(); c != KeyedTable::kEnd; c = t.Next(c)) ...
  // REQUIRES: the table is not modified while a cursor is in use.
  static constexpr uint32_t kEnd = UINT32_MAX;
  uint32_t First() const { return oldest_; }
  uint32_t Next(uint32_t cursor) const { return links_[cursor].next; }
  const schema::Slot* KeyAt(uint32_t cursor) const { return KeyOf(cursor); }
  const schema::Slot* ValueAt(uint32_t cursor) const { return ValueOf(cursor); }

  // An entry's cursor stays its own while it lives (entries never move), so
  // a caller may keep it instead of the key to reach the entry in O(1).
  // REQUIRES: value came from this table and its entry is live.
  uint32_t CursorOf(const schema::Slot* value) const {
    return static_cast<uint32_t>((value - values_.data()) / value_slots_);
  }
  // REQUIRES: cursor is a live entry's.
  schema::Slot* MutableValueAt(uint32_t cursor) { return MutValueOf(cursor); }
  // Removes the live entry at `cursor` without probing.
  void EraseAt(uint32_t cursor) { RemoveAt(bucket_of_[cursor]); }

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t key_slots() const { return key_slots_; }
  uint32_t value_slots() const { return value_slots_; }
  uint64_t evicted() const { return evicted_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t expired() const { return expired_; }
  // Bytes allocated by the constructor.
  uint64_t footprint_bytes() const;
  // Bytes a table with `options` allocates, without allocating it (plan-time
  // memory checks: 64 bits on every target, saturating; byte_count.h).
  static uint64_t FootprintBytes(const KeyedTableOptions& options);

  // schema::HashSlots (core/schema/row_hash.h): a well-mixed 64-bit hash of
  // a key's raw slot bits. Tables use the LOW bits; partitioners that spread
  // keys over threads use the high 32 bits, so that the keys routed to one
  // instance still spread over its table.
  static uint64_t HashKey(const schema::Slot* key, uint32_t key_slots);

  // Rescaling (docs/STATE.md, Changing parallelism), at restore time only.
  // ForEachCursor calls fn(uint32_t cursor) for every live entry: least
  // recently updated first with the recency list, else in bucket order.
  // REQUIRES: fn does not modify the table.
  template <typename Fn>
  void ForEachCursor(Fn&& fn) const {
    if (recency_) {
      for (uint32_t e = oldest_; e != kNil; e = links_[e].next) fn(e);
      return;
    }
    for (size_t b = 0; b <= bucket_mask_; ++b) {
      if (buckets_[b].entry() != kNil) fn(buckets_[b].entry());
    }
  }
  // The last-update time of the live entry at `cursor` (meaningful with a
  // TTL, which keeps it current).
  int64_t StampAt(uint32_t cursor) const { return stamps_[cursor]; }
  // Inserts `key` with `value` (value_slots) and last-update time `stamp`
  // as the most recently updated entry and advances the clock to `stamp`;
  // nothing expires. Sets *cursor on kInserted. kFound: the key is there,
  // nothing changed. A full table follows the overflow policy, as
  // FindOrInsert: kFull, kDropped, or the oldest entry evicted.
  Outcome Import(const schema::Slot* key, uint64_t hash, int64_t stamp,
                 const schema::Slot* value, uint32_t* cursor);
  // After imports from several tables: reorders the recency list by stamp,
  // as TTL expiry needs (no-op without a TTL, where stamps are not kept
  // current). Allocates.
  void SortRecencyByStamp();
  // Adds `other`'s evicted, dropped and expired counts to this table's.
  void AddCounters(const KeyedTable& other);
  // The options the table was built with (capacity clamped).
  KeyedTableOptions options() const;

  // Checkpoints (docs/STATE.md, Operator state). The table's memory is a
  // few TrackedArrays and the scalars below: a checkpoint stores the blocks
  // written since the previous one and the scalars; restoring writes them
  // back into a table constructed with the same options. Every call that
  // hands out a mutable value pointer (FindOrInsert, Find, MutableValueAt)
  // marks that value written: write through it before the next checkpoint.
  void EnableTracking();
  // Appends the table's arrays, for Snapshot and restore by region index.
  void AppendRegions(TrackedRegion** regions, uint32_t* count);
  static constexpr uint32_t kRegions = 6;
  struct Scalars {
    uint32_t size, never_used, free, oldest, newest;
    int64_t clock;
    uint64_t evicted, dropped, expired;
  };
  Scalars SaveScalars() const;
  void RestoreScalars(const Scalars& scalars);

 private:
  static constexpr uint32_t kNil = kNoId;

  // Layout: the bucket array holds entry indices, and each entry's key,
  // value, stamp and links live in flat per-entry arrays. Backward shift
  // moves only buckets (updating bucket_of_), so entries keep their index:
  // value pointers stay valid and the recency links never need fixing.
  //
  // One bucket of the open-addressing array. `tag` is the low 32 bits of the
  // entry's hash: it picks the home bucket (the array has at most 2^32
  // buckets) and rules out most non-matching keys before a memcmp.
  // It holds entry + 1, so zero bytes (fresh state memory) are an empty
  // bucket and building the index writes nothing: its memory becomes
  // resident as keys arrive.
  struct Bucket {
    uint32_t stored_entry;  // StoreId(entry), or 0 when empty
    uint32_t tag;
    uint32_t entry() const { return LoadId(stored_entry); }  // kNil when empty
    static Bucket Of(uint32_t entry, uint32_t tag) { return Bucket{StoreId(entry), tag}; }
  };

  // Recency list links; free entries chain through `next`.
  struct Links {
    uint32_t prev;
    uint32_t next;
  };

  const schema::Slot* KeyOf(uint32_t entry) const {
    return keys_.data() + size_t{entry} * key_slots_;
  }
  const schema::Slot* ValueOf(uint32_t entry) const {
    return values_.data() + size_t{entry} * value_slots_;
  }
  schema::Slot* MutValueOf(uint32_t entry) {
    return values_.MutRange(size_t{entry} * value_slots_, value_slots_);
  }

  // The bucket holding `key`, or the empty bucket that ends its probe run.
  uint32_t Probe(const schema::Slot* key, uint64_t hash) const;
  // Empties `bucket` and frees its entry, then shifts the rest of the probe
  // run back so no lookup crosses a hole (no tombstones).
  void RemoveAt(uint32_t bucket);
  // Advances the clock to `now` (if later) and expires entries last updated
  // before clock - ttl.
  uint32_t AdvanceClock(int64_t now);

  void LinkNewest(uint32_t entry);
  void Unlink(uint32_t entry);
  // A new key meets a full table: applies the overflow policy. False (with
  // the outcome in *refused) when the key gets no room; else an entry was
  // evicted and *bucket is where the key goes now.
  bool MakeRoom(const schema::Slot* key, uint64_t hash, uint32_t* bucket, Outcome* refused);
  // Takes a free entry for a key not in the table (whose probe ended at
  // `bucket`): key, stamp, recency and index set; the value is the
  // caller's to fill. REQUIRES: size() < capacity().
  uint32_t Place(const schema::Slot* key, uint64_t hash, uint32_t bucket, int64_t stamp);

  uint32_t capacity_;
  uint32_t key_slots_;
  uint32_t value_slots_;
  OverflowPolicy policy_;
  int64_t ttl_;
  bool recency_;
  uint32_t bucket_mask_;

  uint32_t size_ = 0;
  uint32_t never_used_ = 0;  // entries [never_used_, capacity_) are unused
  uint32_t free_ = kNil;     // head of the freed-entry chain
  uint32_t oldest_ = kNil;   // recency list ends
  uint32_t newest_ = kNil;
  int64_t clock_ = INT64_MIN;
  uint64_t evicted_ = 0;
  uint64_t dropped_ = 0;
  uint64_t expired_ = 0;

  TrackedArray<Bucket> buckets_;
  // Per entry:
  TrackedArray<schema::Slot> keys_;    // key_slots_ each
  TrackedArray<schema::Slot> values_;  // value_slots_ each
  TrackedArray<int64_t> stamps_;       // last update time; kept only with a TTL
  TrackedArray<Links> links_;
  TrackedArray<uint32_t> bucket_of_;  // the bucket pointing at it
};

}  // namespace runnel::state
