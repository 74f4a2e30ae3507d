#include "core/state/timer_heap.h"

#include <cstring>

namespace runnel::state {
namespace {

uint32_t BucketCountFor(uint32_t capacity) {
  // At most half full, so probes stay short.
  uint32_t buckets = 4;
  while (buckets < 2 * static_cast<uint64_t>(capacity)) buckets *= 2;
  return buckets;
}

}  // namespace

TimerHeap::TimerHeap(uint32_t capacity, uint32_t key_slots)
    : capacity_(capacity),
      key_slots_(key_slots),
      bucket_mask_(BucketCountFor(capacity) - 1),
      nodes_(new Node[capacity]()),
      entries_(new Entry[capacity]()),
      keys_(new schema::Slot[size_t{capacity} * key_slots]()),
      free_(new uint32_t[capacity]),
      buckets_(new uint32_t[bucket_mask_ + 1]) {
  // Hand out low ids first: free_ is a stack popped from its end.
  for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
  for (uint32_t b = 0; b <= bucket_mask_; ++b) buckets_[b] = kEmpty;
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

void TimerHeap::EraseBucket(uint32_t bucket) {
  uint32_t hole = bucket;
  uint32_t next = bucket;
  for (;;) {
    next = (next + 1) & bucket_mask_;
    uint32_t entry = buckets_[next];
    if (entry == kEmpty) break;
    uint32_t home = static_cast<uint32_t>(entries_[entry].hash) & bucket_mask_;
    // The entry may fill the hole only if the hole lies on its probe path,
    // i.e. it sits at least as far from its home as from the hole.
    if (((next - home) & bucket_mask_) >= ((next - hole) & bucket_mask_)) {
      buckets_[hole] = entry;
      hole = next;
    }
  }
  buckets_[hole] = kEmpty;
}

void TimerHeap::SiftUp(uint32_t pos, Node node) {
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (!Before(node, nodes_[parent])) break;
    Place(pos, nodes_[parent]);
    pos = parent;
  }
  Place(pos, node);
}

void TimerHeap::SiftDown(uint32_t pos, Node node) {
  for (;;) {
    uint64_t child = 2 * uint64_t{pos} + 1;
    if (child >= size_) break;
    if (child + 1 < size_ && Before(nodes_[child + 1], nodes_[child])) {
      ++child;
    }
    if (!Before(nodes_[child], node)) break;
    Place(pos, nodes_[child]);
    pos = static_cast<uint32_t>(child);
  }
  Place(pos, node);
}

void TimerHeap::RemoveAt(uint32_t pos) {
  free_[capacity_ - size_] = nodes_[pos].entry;
  --size_;
  if (pos == size_) return;
  // Refill the gap with the last node, which may belong above or below it.
  Node last = nodes_[size_];
  if (pos > 0 && Before(last, nodes_[(pos - 1) / 2])) {
    SiftUp(pos, last);
  } else {
    SiftDown(pos, last);
  }
}

TimerHeap::AddOutcome TimerHeap::Add(const schema::Slot* key, uint64_t key_hash,
                                     int64_t time) {
  const uint64_t hash = Mix(key_hash, time);
  const uint32_t bucket = Probe(key, hash, time);
  if (buckets_[bucket] != kEmpty) return AddOutcome::kDuplicate;
  if (size_ == capacity_) return AddOutcome::kFull;

  const uint32_t entry = free_[capacity_ - size_ - 1];
  entries_[entry].time = time;
  entries_[entry].hash = hash;
  if (key_slots_ > 0) {
    std::memcpy(key_of(entry), key, sizeof(schema::Slot) * key_slots_);
  }
  buckets_[bucket] = entry;
  ++size_;
  SiftUp(size_ - 1, Node{time, next_seq_++, entry});
  return AddOutcome::kAdded;
}

bool TimerHeap::Cancel(const schema::Slot* key, uint64_t key_hash,
                       int64_t time) {
  const uint32_t bucket = Probe(key, Mix(key_hash, time), time);
  const uint32_t entry = buckets_[bucket];
  if (entry == kEmpty) return false;
  EraseBucket(bucket);
  RemoveAt(entries_[entry].heap_pos);
  return true;
}

bool TimerHeap::PopDue(int64_t up_to, int64_t* time, schema::Slot* key_out) {
  if (size_ == 0 || nodes_[0].time > up_to) return false;
  const uint32_t entry = nodes_[0].entry;
  *time = nodes_[0].time;
  if (key_slots_ > 0) {
    std::memcpy(key_out, key_of(entry), sizeof(schema::Slot) * key_slots_);
  }
  EraseBucket(BucketOf(entry));
  RemoveAt(0);
  return true;
}

int64_t TimerHeap::next_time() const {
  return size_ == 0 ? INT64_MAX : nodes_[0].time;
}

size_t TimerHeap::footprint_bytes() const {
  return sizeof(Node) * capacity_ + sizeof(Entry) * capacity_ +
         sizeof(schema::Slot) * size_t{capacity_} * key_slots_ +
         sizeof(uint32_t) * capacity_ +
         sizeof(uint32_t) * (size_t{bucket_mask_} + 1);
}

}  // namespace runnel::state
