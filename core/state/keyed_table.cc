#include "core/state/keyed_table.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "core/common/byte_count.h"
#include "core/schema/row_hash.h"

namespace runnel::state {
namespace {

using schema::Slot;

uint64_t BucketCountFor(uint32_t capacity) {
  // At most half full, so probe runs stay short and always end.
  uint64_t buckets = 16;
  while (buckets < 2 * uint64_t{capacity}) buckets *= 2;
  return buckets;
}

// Bytewise equality of two keys, a slot at a time: an inlined compare of
// one or two words where a memcmp call would cost more than the lookup.
inline bool SameKey(const Slot* a, const Slot* b, uint32_t slots) {
  for (uint32_t i = 0; i < slots; ++i) {
    if (a[i].i64 != b[i].i64) return false;
  }
  return true;
}

}  // namespace

KeyedTable::KeyedTable(const KeyedTableOptions& options)
    : capacity_(options.capacity < kMaxCapacity ? options.capacity
                                                : kMaxCapacity),
      key_slots_(options.key_slots),
      value_slots_(options.value_slots),
      policy_(options.policy),
      ttl_(options.ttl > 0 ? options.ttl : 0),
      recency_(options.recency || ttl_ > 0 ||
               options.policy == OverflowPolicy::kEvictOldest),
      bucket_mask_(static_cast<uint32_t>(BucketCountFor(capacity_) - 1)),
      buckets_(uint64_t{bucket_mask_} + 1, /*zeroed=*/true),
      keys_(size_t{capacity_} * key_slots_, /*zeroed=*/true),
      values_(size_t{capacity_} * value_slots_, /*zeroed=*/true),
      stamps_(capacity_, /*zeroed=*/true),
      links_(capacity_, /*zeroed=*/true),
      bucket_of_(capacity_, /*zeroed=*/true) {}

void KeyedTable::EnableTracking() {
  TrackedRegion* regions[kRegions];
  uint32_t count = 0;
  AppendRegions(regions, &count);
  for (uint32_t i = 0; i < count; ++i) regions[i]->EnableTracking();
}

void KeyedTable::AppendRegions(TrackedRegion** regions, uint32_t* count) {
  regions[(*count)++] = &buckets_;
  regions[(*count)++] = &keys_;
  regions[(*count)++] = &values_;
  regions[(*count)++] = &stamps_;
  regions[(*count)++] = &links_;
  regions[(*count)++] = &bucket_of_;
}

KeyedTable::Scalars KeyedTable::SaveScalars() const {
  return Scalars{size_, never_used_, free_, oldest_, newest_, clock_, evicted_, dropped_, expired_};
}

void KeyedTable::RestoreScalars(const Scalars& s) {
  size_ = s.size;
  never_used_ = s.never_used;
  free_ = s.free;
  oldest_ = s.oldest;
  newest_ = s.newest;
  clock_ = s.clock;
  evicted_ = s.evicted;
  dropped_ = s.dropped;
  expired_ = s.expired;
}

uint64_t KeyedTable::HashKey(const Slot* key, uint32_t key_slots) {
  return schema::HashSlots(key, key_slots);
}

uint32_t KeyedTable::Probe(const Slot* key, uint64_t hash) const {
  const uint32_t tag = static_cast<uint32_t>(hash);
  uint32_t bucket = tag & bucket_mask_;
  for (;;) {
    const Bucket& b = buckets_[bucket];
    if (b.entry() == kNil) return bucket;
    if (b.tag == tag && SameKey(KeyOf(b.entry()), key, key_slots_)) return bucket;
    bucket = (bucket + 1) & bucket_mask_;
  }
}

void KeyedTable::LinkNewest(uint32_t entry) {
  links_.Mut(entry) = Links{newest_, kNil};
  if (newest_ != kNil) {
    links_.Mut(newest_).next = entry;
  } else {
    oldest_ = entry;
  }
  newest_ = entry;
}

void KeyedTable::Unlink(uint32_t entry) {
  const Links links = links_[entry];
  if (links.prev != kNil) {
    links_.Mut(links.prev).next = links.next;
  } else {
    oldest_ = links.next;
  }
  if (links.next != kNil) {
    links_.Mut(links.next).prev = links.prev;
  } else {
    newest_ = links.prev;
  }
}

void KeyedTable::RemoveAt(uint32_t bucket) {
  const uint32_t entry = buckets_[bucket].entry();
  if (recency_) Unlink(entry);
  links_.Mut(entry).next = free_;
  free_ = entry;
  --size_;

  // Backward shift: walk the rest of the probe run; an entry may move into
  // the hole if the hole lies between its home bucket and where it sits now
  // (cyclically), i.e. if moving it does not put it before its home.
  uint32_t hole = bucket;
  uint32_t next = bucket;
  for (;;) {
    next = (next + 1) & bucket_mask_;
    const Bucket b = buckets_[next];
    if (b.entry() == kNil) break;
    const uint32_t home = b.tag & bucket_mask_;
    if (((next - home) & bucket_mask_) >= ((next - hole) & bucket_mask_)) {
      buckets_.Mut(hole) = b;
      bucket_of_.Mut(b.entry()) = hole;
      hole = next;
    }
  }
  buckets_.Mut(hole) = Bucket{};
}

uint32_t KeyedTable::AdvanceClock(int64_t now) {
  if (now > clock_) clock_ = now;
  // Nothing is older than the earliest representable cutoff.
  if (ttl_ == 0 || clock_ < std::numeric_limits<int64_t>::min() + ttl_) {
    return 0;
  }
  const int64_t cutoff = clock_ - ttl_;
  uint32_t removed = 0;
  // Stamps come from the clock, which never decreases, so the recency list
  // is sorted by stamp and the expired entries are a prefix of it.
  while (oldest_ != kNil && stamps_[oldest_] < cutoff) {
    RemoveAt(bucket_of_[oldest_]);
    ++removed;
  }
  expired_ += removed;
  return removed;
}

uint32_t KeyedTable::Expire(int64_t now) { return AdvanceClock(now); }

KeyedTable::Outcome KeyedTable::FindOrInsert(const Slot* key, uint64_t hash,
                                             int64_t now, Slot** value) {
  // Without a TTL nothing expires and stamps are never read, so the hot
  // path skips both.
  if (ttl_ == 0) {
    if (now > clock_) clock_ = now;
  } else {
    AdvanceClock(now);
  }
  uint32_t bucket = Probe(key, hash);
  uint32_t entry = buckets_[bucket].entry();
  if (entry != kNil) {
    if (ttl_ != 0) stamps_.Mut(entry) = clock_;
    if (recency_ && entry != newest_) {
      Unlink(entry);
      LinkNewest(entry);
    }
    *value = MutValueOf(entry);
    return Outcome::kFound;
  }

  Outcome refused;
  if (size_ == capacity_ && !MakeRoom(key, hash, &bucket, &refused)) return refused;
  entry = Place(key, hash, bucket, clock_);
  Slot* fresh = MutValueOf(entry);
  for (uint32_t i = 0; i < value_slots_; ++i) fresh[i].i64 = 0;
  *value = fresh;
  return Outcome::kInserted;
}

const Slot* KeyedTable::Find(const Slot* key, uint64_t hash) const {
  const uint32_t entry = buckets_[Probe(key, hash)].entry();
  return entry == kNil ? nullptr : ValueOf(entry);
}

Slot* KeyedTable::Find(const Slot* key, uint64_t hash) {
  const uint32_t entry = buckets_[Probe(key, hash)].entry();
  return entry == kNil ? nullptr : MutValueOf(entry);
}

bool KeyedTable::Erase(const Slot* key, uint64_t hash) {
  const uint32_t bucket = Probe(key, hash);
  if (buckets_[bucket].entry() == kNil) return false;
  RemoveAt(bucket);
  return true;
}

bool KeyedTable::MakeRoom(const Slot* key, uint64_t hash, uint32_t* bucket, Outcome* refused) {
  switch (policy_) {
    case OverflowPolicy::kFail:
      *refused = Outcome::kFull;
      return false;
    case OverflowPolicy::kDropNew:
      ++dropped_;
      *refused = Outcome::kDropped;
      return false;
    case OverflowPolicy::kEvictOldest:
      if (oldest_ == kNil) {  // capacity 0
        *refused = Outcome::kFull;
        return false;
      }
      RemoveAt(bucket_of_[oldest_]);
      ++evicted_;
      // The shift may have moved the end of this key's probe run.
      *bucket = Probe(key, hash);
      return true;
  }
  return false;
}

uint32_t KeyedTable::Place(const Slot* key, uint64_t hash, uint32_t bucket, int64_t stamp) {
  uint32_t entry;
  if (free_ != kNil) {
    entry = free_;
    free_ = links_[entry].next;
  } else {
    entry = never_used_++;
  }
  schema::CopySlots(keys_.MutRange(size_t{entry} * key_slots_, key_slots_), key, key_slots_);
  stamps_.Mut(entry) = stamp;
  if (recency_) LinkNewest(entry);
  buckets_.Mut(bucket) = Bucket::Of(entry, static_cast<uint32_t>(hash));
  bucket_of_.Mut(entry) = bucket;
  ++size_;
  return entry;
}

KeyedTable::Outcome KeyedTable::Import(const Slot* key, uint64_t hash, int64_t stamp,
                                       const Slot* value, uint32_t* cursor) {
  uint32_t bucket = Probe(key, hash);
  if (buckets_[bucket].entry() != kNil) return Outcome::kFound;
  Outcome refused;
  if (size_ == capacity_ && !MakeRoom(key, hash, &bucket, &refused)) return refused;
  if (stamp > clock_) clock_ = stamp;
  *cursor = Place(key, hash, bucket, stamp);
  schema::CopySlots(MutValueOf(*cursor), value, value_slots_);
  return Outcome::kInserted;
}

void KeyedTable::SortRecencyByStamp() {
  if (ttl_ == 0) return;
  std::vector<uint32_t> order;
  order.reserve(size_);
  for (uint32_t e = oldest_; e != kNil; e = links_[e].next) order.push_back(e);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return stamps_[a] < stamps_[b]; });
  oldest_ = kNil;
  newest_ = kNil;
  for (uint32_t e : order) LinkNewest(e);
}

void KeyedTable::AddCounters(const KeyedTable& other) {
  evicted_ += other.evicted_;
  dropped_ += other.dropped_;
  expired_ += other.expired_;
}

KeyedTableOptions KeyedTable::options() const {
  KeyedTableOptions options;
  options.capacity = capacity_;
  options.key_slots = key_slots_;
  options.value_slots = value_slots_;
  options.policy = policy_;
  options.ttl = ttl_;
  options.recency = recency_;
  return options;
}

uint64_t KeyedTable::footprint_bytes() const { return FootprintBytes(options()); }

uint64_t KeyedTable::FootprintBytes(const KeyedTableOptions& options) {
  const uint64_t entries = options.capacity < kMaxCapacity ? options.capacity : kMaxCapacity;
  const uint64_t buckets = BucketCountFor(static_cast<uint32_t>(entries));
  const uint64_t slots = uint64_t{options.key_slots} + options.value_slots;
  return SaturatingAdd(
      sizeof(Bucket) * buckets + (sizeof(int64_t) + sizeof(Links) + sizeof(uint32_t)) * entries,
      SaturatingMul(sizeof(Slot) * entries, slots));
}

}  // namespace runnel::state
