#include "core/state/timer_heap.h"

#include <cstring>

#include "core/common/byte_count.h"

namespace runnel::state {
namespace {

uint64_t BucketCountFor(uint32_t capacity) {
  // At most half full, so probes stay short. (64-bit: a capacity over 2^31
  // must not wrap; the graph check keeps capacities below that.)
  uint64_t buckets = 4;
  while (buckets < 2 * static_cast<uint64_t>(capacity)) buckets *= 2;
  return buckets;
}

}  // namespace

TimerHeap::TimerHeap(uint32_t capacity, uint32_t key_slots)
    : capacity_(capacity),
      key_slots_(key_slots),
      bucket_mask_(static_cast<uint32_t>(BucketCountFor(capacity) - 1)),
      entries_(capacity, /*zeroed=*/true),
      keys_(size_t{capacity} * key_slots, /*zeroed=*/true),
      free_(capacity),
      buckets_(uint64_t{bucket_mask_} + 1),
      groups_(capacity, /*zeroed=*/true),
      free_groups_(capacity),
      heap_(capacity, /*zeroed=*/true),
      time_buckets_(uint64_t{bucket_mask_} + 1) {}

void TimerHeap::EnableTracking() {
  TrackedRegion* regions[kRegions];
  uint32_t count = 0;
  AppendRegions(regions, &count);
  for (uint32_t i = 0; i < count; ++i) regions[i]->EnableTracking();
}

void TimerHeap::AppendRegions(TrackedRegion** regions, uint32_t* count) {
  regions[(*count)++] = &entries_;
  regions[(*count)++] = &keys_;
  regions[(*count)++] = free_.region();
  regions[(*count)++] = buckets_.region();
  regions[(*count)++] = &groups_;
  regions[(*count)++] = free_groups_.region();
  regions[(*count)++] = &heap_;
  regions[(*count)++] = time_buckets_.region();
}

uint64_t TimerHeap::Mix(uint64_t key_hash, int64_t time) {
  // The caller's hash may be weak (an integer key as is), and the same key
  // has many times; a splitmix64 finalizer spreads both.
  uint64_t h = key_hash + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(time);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

uint32_t TimerHeap::Probe(const schema::Slot* key, uint64_t hash,
                          int64_t time) const {
  const size_t key_bytes = sizeof(schema::Slot) * key_slots_;
  uint32_t bucket = static_cast<uint32_t>(hash) & bucket_mask_;
  for (;;) {
    uint32_t entry = buckets_[bucket];
    if (entry == kEmpty) return bucket;
    const Entry& e = entries_[entry];
    if (e.hash == hash && e.time == time &&
        (key_bytes == 0 || std::memcmp(key_of(entry), key, key_bytes) == 0)) {
      return bucket;
    }
    bucket = (bucket + 1) & bucket_mask_;
  }
}

uint32_t TimerHeap::BucketOf(uint32_t entry) const {
  uint32_t bucket = static_cast<uint32_t>(entries_[entry].hash) & bucket_mask_;
  while (buckets_[bucket] != entry) bucket = (bucket + 1) & bucket_mask_;
  return bucket;
}

uint32_t TimerHeap::ProbeTime(int64_t time) const {
  uint32_t bucket = static_cast<uint32_t>(Mix(0, time)) & bucket_mask_;
  for (;;) {
    const uint32_t group = time_buckets_[bucket];
    if (group == kEmpty || groups_[group].time == time) return bucket;
    bucket = (bucket + 1) & bucket_mask_;
  }
}

template <typename Home>
void TimerHeap::EraseBucket(IdArray* buckets, uint32_t bucket, Home home) {
  uint32_t hole = bucket;
  uint32_t next = bucket;
  for (;;) {
    next = (next + 1) & bucket_mask_;
    const uint32_t id = (*buckets)[next];
    if (id == kEmpty) break;
    const uint32_t start = home(id) & bucket_mask_;
    // The id may fill the hole only if the hole lies on its probe path,
    // i.e. it sits at least as far from its home as from the hole.
    if (((next - start) & bucket_mask_) >= ((next - hole) & bucket_mask_)) {
      buckets->Set(hole, id);
      hole = next;
    }
  }
  buckets->Set(hole, kEmpty);
}

void TimerHeap::EraseEntryBucket(uint32_t bucket) {
  EraseBucket(&buckets_, bucket, [this](uint32_t entry) {
    return static_cast<uint32_t>(entries_[entry].hash);
  });
}

void TimerHeap::EraseTimeBucket(uint32_t bucket) {
  EraseBucket(&time_buckets_, bucket, [this](uint32_t group) {
    return static_cast<uint32_t>(Mix(0, groups_[group].time));
  });
}

void TimerHeap::SiftUp(uint32_t pos, uint32_t group) {
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!Before(group, heap_[parent])) break;
    Place(pos, heap_[parent]);
    pos = parent;
  }
  Place(pos, group);
}

void TimerHeap::SiftDown(uint32_t pos, uint32_t group) {
  for (;;) {
    uint64_t child = 2 * uint64_t{pos} + 1;
    if (child >= groups_size_) break;
    if (child + 1 < groups_size_ && Before(heap_[child + 1], heap_[child])) {
      ++child;
    }
    if (!Before(heap_[child], group)) break;
    Place(pos, heap_[child]);
    pos = static_cast<uint32_t>(child);
  }
  Place(pos, group);
}

uint32_t TimerHeap::GroupFor(int64_t time) {
  if (last_group_ != kEmpty && groups_[last_group_].time == time) {
    return last_group_;
  }
  const uint32_t bucket = ProbeTime(time);
  uint32_t group = time_buckets_[bucket];
  if (group == kEmpty) {
    // There are never more groups than timers, so one is free.
    group = FreeId(free_groups_, capacity_ - groups_size_ - 1);
    groups_.Mut(group) = Group{time, kEmpty, kEmpty, 0};
    time_buckets_.Set(bucket, group);
    ++groups_size_;
    SiftUp(groups_size_ - 1, group);
  }
  last_group_ = group;
  return group;
}

void TimerHeap::RemoveGroup(uint32_t group) {
  EraseTimeBucket(ProbeTime(groups_[group].time));
  if (last_group_ == group) last_group_ = kEmpty;
  const uint32_t pos = groups_[group].heap_pos;
  free_groups_.Set(capacity_ - groups_size_, group);
  --groups_size_;
  if (pos == groups_size_) return;
  // Refill the gap with the last group, which may belong above or below it.
  const uint32_t last = heap_[groups_size_];
  if (pos > 0 && Before(last, heap_[(pos - 1) / 2])) {
    SiftUp(pos, last);
  } else {
    SiftDown(pos, last);
  }
}

void TimerHeap::Unlink(uint32_t entry) {
  const Entry& e = entries_[entry];
  Group& g = groups_.Mut(e.group);
  if (e.prev != kEmpty) {
    entries_.Mut(e.prev).next = e.next;
  } else {
    g.head = e.next;
  }
  if (e.next != kEmpty) {
    entries_.Mut(e.next).prev = e.prev;
  } else {
    g.tail = e.prev;
  }
  if (g.head == kEmpty) RemoveGroup(e.group);
  free_.Set(capacity_ - size_, entry);
  --size_;
}

uint32_t TimerHeap::NewEntry(const schema::Slot* key, int64_t time,
                             uint64_t hash, bool indexed) {
  const uint32_t entry = FreeId(free_, capacity_ - size_ - 1);
  ++size_;
  if (key_slots_ > 0) {
    schema::CopySlots(keys_.MutRange(size_t{entry} * key_slots_, key_slots_), key, key_slots_);
  }
  const uint32_t group = GroupFor(time);
  Group& g = groups_.Mut(group);
  entries_.Mut(entry) = Entry{time, hash, indexed, group, g.tail, kEmpty};
  if (g.tail != kEmpty) {
    entries_.Mut(g.tail).next = entry;
  } else {
    g.head = entry;
  }
  g.tail = entry;
  return entry;
}

TimerHeap::AddOutcome TimerHeap::Add(const schema::Slot* key, uint64_t key_hash,
                                     int64_t time) {
  const uint64_t hash = Mix(key_hash, time);
  const uint32_t bucket = Probe(key, hash, time);
  if (buckets_[bucket] != kEmpty) return AddOutcome::kDuplicate;
  if (size_ == capacity_) return AddOutcome::kFull;
  buckets_.Set(bucket, NewEntry(key, time, hash, /*indexed=*/true));
  return AddOutcome::kAdded;
}

uint32_t TimerHeap::Push(const schema::Slot* key, int64_t time) {
  if (size_ == capacity_) return kNoHandle;
  return NewEntry(key, time, 0, /*indexed=*/false);
}

void TimerHeap::CancelHandle(uint32_t handle) {
  if (entries_[handle].indexed) EraseEntryBucket(BucketOf(handle));
  Unlink(handle);
}

bool TimerHeap::Cancel(const schema::Slot* key, uint64_t key_hash,
                       int64_t time) {
  const uint32_t bucket = Probe(key, Mix(key_hash, time), time);
  const uint32_t entry = buckets_[bucket];
  if (entry == kEmpty) return false;
  EraseEntryBucket(bucket);
  Unlink(entry);
  return true;
}

bool TimerHeap::PopDue(int64_t up_to, int64_t* time, schema::Slot* key_out) {
  if (groups_size_ == 0 || groups_[heap_[0]].time > up_to) return false;
  const uint32_t entry = groups_[heap_[0]].head;
  *time = entries_[entry].time;
  if (key_slots_ > 0) {
    schema::CopySlots(key_out, key_of(entry), key_slots_);
  }
  if (entries_[entry].indexed) EraseEntryBucket(BucketOf(entry));
  Unlink(entry);
  return true;
}

uint64_t TimerHeap::footprint_bytes() const { return FootprintBytes(capacity_, key_slots_); }

uint64_t TimerHeap::FootprintBytes(uint32_t capacity, uint32_t key_slots) {
  const uint64_t n = capacity;
  // Below 2^40 for any capacity; only the keys can overflow 64 bits.
  const uint64_t per_timer = sizeof(Entry) + sizeof(uint32_t) + sizeof(Group) + 2 * sizeof(uint32_t);
  const uint64_t fixed = per_timer * n + 2 * sizeof(uint32_t) * BucketCountFor(capacity);
  return SaturatingAdd(fixed, SaturatingMul(sizeof(schema::Slot) * n, key_slots));
}

}  // namespace runnel::state
