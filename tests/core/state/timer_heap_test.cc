#include "core/state/timer_heap.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

// CppUTest redefines `new`; it goes after every other header.
#include <CppUTest/TestHarness.h>

using runnel::schema::Slot;
using runnel::state::TimerHeap;
using AddOutcome = runnel::state::TimerHeap::AddOutcome;

namespace {

// A two-slot key (an integer id and a double), as a keyed operator has.
struct Key {
  Slot slots[2];
};

Key MakeKey(int64_t id) {
  Key key;
  key.slots[0].i64 = id;
  key.slots[1].f64 = static_cast<double>(id) * 0.5;
  return key;
}

// A deliberately poor hash so distinct keys collide.
uint64_t HashOf(int64_t id) { return static_cast<uint64_t>(id) % 3; }

AddOutcome Add(TimerHeap& heap, int64_t id, int64_t time) {
  Key key = MakeKey(id);
  return heap.Add(key.slots, HashOf(id), time);
}

bool Cancel(TimerHeap& heap, int64_t id, int64_t time) {
  Key key = MakeKey(id);
  return heap.Cancel(key.slots, HashOf(id), time);
}

// Pops one due timer; returns its key id, or -1 if none is due.
int64_t Pop(TimerHeap& heap, int64_t up_to, int64_t* time) {
  Key key = MakeKey(-1);
  if (!heap.PopDue(up_to, time, key.slots)) return -1;
  return key.slots[0].i64;
}

}  // namespace

TEST_GROUP(TimerHeap){};

TEST(TimerHeap, StartsEmpty) {
  TimerHeap heap(8, 2);
  LONGS_EQUAL(0, heap.size());
  LONGS_EQUAL(8, heap.capacity());
  CHECK(heap.empty());
  CHECK(heap.next_time() == INT64_MAX);
  int64_t time = 7;
  LONGS_EQUAL(-1, Pop(heap, INT64_MAX, &time));
  LONGS_EQUAL(7, time);
  CHECK(heap.footprint_bytes() >= 8 * 2 * sizeof(Slot));
}

// Plan-time footprints are 64-bit on every target and saturate.
TEST(TimerHeap, FootprintOfAHugeHeapIsExactOrSaturates) {
  CHECK(TimerHeap::FootprintBytes(UINT32_MAX, 1) > UINT32_MAX);
  UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, TimerHeap::FootprintBytes(UINT32_MAX, UINT32_MAX));
}

TEST(TimerHeap, PopsInTimeOrder) {
  TimerHeap heap(16, 2);
  const int64_t times[] = {50, 10, 40, -5, 30, 20, 0};
  for (int i = 0; i < 7; ++i) {
    CHECK(Add(heap, i, times[i]) == AddOutcome::kAdded);
  }
  LONGS_EQUAL(7, heap.size());
  const int64_t want_time[] = {-5, 0, 10, 20, 30, 40, 50};
  const int64_t want_id[] = {3, 6, 1, 5, 4, 2, 0};
  for (int i = 0; i < 7; ++i) {
    int64_t time = 0;
    LONGS_EQUAL(want_id[i], Pop(heap, INT64_MAX, &time));
    LONGS_EQUAL(want_time[i], time);
  }
  CHECK(heap.empty());
}

TEST(TimerHeap, EqualTimesPopInRegistrationOrder) {
  TimerHeap heap(32, 2);
  // Interleave two timestamps; within each, registration order must hold
  // even though the heap reorders nodes as they come.
  const int64_t ids[] = {9, 4, 17, 1, 12, 6, 3, 20, 8, 15};
  for (int i = 0; i < 10; ++i) {
    CHECK(Add(heap, ids[i], i % 2 == 0 ? 100 : 50) == AddOutcome::kAdded);
  }
  const int64_t want_id[] = {4, 1, 6, 20, 15, 9, 17, 12, 3, 8};
  for (int i = 0; i < 10; ++i) {
    int64_t time = 0;
    LONGS_EQUAL(want_id[i], Pop(heap, INT64_MAX, &time));
    LONGS_EQUAL(i < 5 ? 50 : 100, time);
  }
}

TEST(TimerHeap, DuplicateKeyAndTimeIsOneTimer) {
  TimerHeap heap(8, 2);
  CHECK(Add(heap, 1, 10) == AddOutcome::kAdded);
  CHECK(Add(heap, 2, 10) == AddOutcome::kAdded);
  CHECK(Add(heap, 1, 10) == AddOutcome::kDuplicate);
  LONGS_EQUAL(2, heap.size());
  // The duplicate keeps key 1's original place ahead of key 2.
  int64_t time = 0;
  LONGS_EQUAL(1, Pop(heap, 10, &time));
  LONGS_EQUAL(2, Pop(heap, 10, &time));
  LONGS_EQUAL(-1, Pop(heap, INT64_MAX, &time));
  // Once fired, the same (key, time) can be registered again.
  CHECK(Add(heap, 1, 10) == AddOutcome::kAdded);
}

TEST(TimerHeap, SameKeyDifferentTimesAreDistinct) {
  TimerHeap heap(8, 2);
  CHECK(Add(heap, 5, 30) == AddOutcome::kAdded);
  CHECK(Add(heap, 5, 10) == AddOutcome::kAdded);
  LONGS_EQUAL(2, heap.size());
  int64_t time = 0;
  LONGS_EQUAL(5, Pop(heap, INT64_MAX, &time));
  LONGS_EQUAL(10, time);
  LONGS_EQUAL(5, Pop(heap, INT64_MAX, &time));
  LONGS_EQUAL(30, time);
}

TEST(TimerHeap, SameTimeDifferentKeysWithSameHashBothFire) {
  TimerHeap heap(8, 2);
  Key a = MakeKey(1);
  Key b = MakeKey(2);
  // Equal hashes: only the key bytes tell them apart.
  CHECK(heap.Add(a.slots, 42, 7) == AddOutcome::kAdded);
  CHECK(heap.Add(b.slots, 42, 7) == AddOutcome::kAdded);
  CHECK(heap.Add(b.slots, 42, 7) == AddOutcome::kDuplicate);
  // Keys differing only in the second slot are different keys too.
  Key c = MakeKey(1);
  c.slots[1].f64 = -1.0;
  CHECK(heap.Add(c.slots, 42, 7) == AddOutcome::kAdded);
  LONGS_EQUAL(3, heap.size());

  Key out;
  int64_t time = 0;
  CHECK(heap.PopDue(7, &time, out.slots));
  LONGS_EQUAL(1, out.slots[0].i64);
  DOUBLES_EQUAL(0.5, out.slots[1].f64, 0.0);
  CHECK(heap.PopDue(7, &time, out.slots));
  LONGS_EQUAL(2, out.slots[0].i64);
  CHECK(heap.PopDue(7, &time, out.slots));
  LONGS_EQUAL(1, out.slots[0].i64);
  DOUBLES_EQUAL(-1.0, out.slots[1].f64, 0.0);
  CHECK(heap.empty());
}

TEST(TimerHeap, CancelRemovesExactlyThatTimer) {
  TimerHeap heap(16, 2);
  for (int64_t id = 0; id < 10; ++id) {
    CHECK(Add(heap, id, 100 - 10 * id) == AddOutcome::kAdded);
  }
  CHECK(Add(heap, 3, 55) == AddOutcome::kAdded);  // key 3 has a second timer
  // Cancel from the root, the middle and a leaf of the heap.
  CHECK(Cancel(heap, 9, 10));   // earliest
  CHECK(Cancel(heap, 3, 70));   // key 3's first timer, not its 55
  CHECK(Cancel(heap, 0, 100));  // latest
  LONGS_EQUAL(8, heap.size());
  LONGS_EQUAL(20, heap.next_time());
  // Already cancelled.
  CHECK_FALSE(Cancel(heap, 3, 70));

  const int64_t want_time[] = {20, 30, 40, 50, 55, 60, 80, 90};
  const int64_t want_id[] = {8, 7, 6, 5, 3, 4, 2, 1};
  for (int i = 0; i < 8; ++i) {
    int64_t time = 0;
    LONGS_EQUAL(want_id[i], Pop(heap, INT64_MAX, &time));
    LONGS_EQUAL(want_time[i], time);
  }
  CHECK(heap.empty());
}

TEST(TimerHeap, CancelOfAbsentTimerReturnsFalse) {
  TimerHeap heap(8, 2);
  CHECK_FALSE(Cancel(heap, 1, 10));
  CHECK(Add(heap, 1, 10) == AddOutcome::kAdded);
  CHECK_FALSE(Cancel(heap, 1, 11));  // same key, other time
  CHECK_FALSE(Cancel(heap, 4, 10));  // other key, same hash (4 % 3 == 1)
  LONGS_EQUAL(1, heap.size());
  CHECK(Cancel(heap, 1, 10));
  CHECK_FALSE(Cancel(heap, 1, 10));
  CHECK(heap.empty());
  CHECK(heap.next_time() == INT64_MAX);
}

TEST(TimerHeap, FullAtCapacityAndRoomAgainAfterPop) {
  TimerHeap heap(4, 2);
  for (int64_t id = 0; id < 4; ++id) {
    CHECK(Add(heap, id, 10 + id) == AddOutcome::kAdded);
  }
  CHECK(Add(heap, 9, 1) == AddOutcome::kFull);
  // A duplicate is still recognised when full.
  CHECK(Add(heap, 2, 12) == AddOutcome::kDuplicate);
  LONGS_EQUAL(4, heap.size());
  LONGS_EQUAL(10, heap.next_time());  // the rejected timer changed nothing

  int64_t time = 0;
  LONGS_EQUAL(0, Pop(heap, 10, &time));
  CHECK(Add(heap, 9, 1) == AddOutcome::kAdded);
  CHECK(Add(heap, 8, 2) == AddOutcome::kFull);
  CHECK(Cancel(heap, 3, 13));
  CHECK(Add(heap, 8, 2) == AddOutcome::kAdded);
  LONGS_EQUAL(4, heap.size());
  LONGS_EQUAL(9, Pop(heap, INT64_MAX, &time));
  LONGS_EQUAL(8, Pop(heap, INT64_MAX, &time));
  LONGS_EQUAL(1, Pop(heap, INT64_MAX, &time));
  LONGS_EQUAL(2, Pop(heap, INT64_MAX, &time));
  CHECK(heap.empty());
}

TEST(TimerHeap, ZeroCapacityIsAlwaysFull) {
  TimerHeap heap(0, 2);
  CHECK(Add(heap, 1, 1) == AddOutcome::kFull);
  CHECK_FALSE(Cancel(heap, 1, 1));
  int64_t time = 0;
  LONGS_EQUAL(-1, Pop(heap, INT64_MAX, &time));
}

TEST(TimerHeap, PopDueRespectsUpTo) {
  TimerHeap heap(8, 2);
  CHECK(Add(heap, 1, 100) == AddOutcome::kAdded);
  CHECK(Add(heap, 2, 200) == AddOutcome::kAdded);
  int64_t time = -3;
  Key out = MakeKey(77);
  CHECK_FALSE(heap.PopDue(99, &time, out.slots));
  LONGS_EQUAL(-3, time);  // untouched when nothing is due
  LONGS_EQUAL(77, out.slots[0].i64);
  LONGS_EQUAL(2, heap.size());

  CHECK(heap.PopDue(100, &time, out.slots));  // up_to is inclusive
  LONGS_EQUAL(100, time);
  LONGS_EQUAL(1, out.slots[0].i64);
  CHECK_FALSE(heap.PopDue(199, &time, out.slots));
  CHECK(heap.PopDue(INT64_MAX, &time, out.slots));
  LONGS_EQUAL(200, time);
  CHECK_FALSE(heap.PopDue(INT64_MAX, &time, out.slots));
}

TEST(TimerHeap, NextTimeTracksEarliest) {
  TimerHeap heap(8, 2);
  CHECK(heap.next_time() == INT64_MAX);
  CHECK(Add(heap, 1, 50) == AddOutcome::kAdded);
  LONGS_EQUAL(50, heap.next_time());
  CHECK(Add(heap, 2, 20) == AddOutcome::kAdded);
  LONGS_EQUAL(20, heap.next_time());
  CHECK(Add(heap, 3, INT64_MIN) == AddOutcome::kAdded);
  CHECK(heap.next_time() == INT64_MIN);
  CHECK(Cancel(heap, 3, INT64_MIN));
  LONGS_EQUAL(20, heap.next_time());
  int64_t time = 0;
  LONGS_EQUAL(2, Pop(heap, 20, &time));
  LONGS_EQUAL(50, heap.next_time());
  CHECK(Cancel(heap, 1, 50));
  CHECK(heap.next_time() == INT64_MAX);
}

TEST(TimerHeap, KeylessTimers) {
  TimerHeap heap(4, 0);
  CHECK(heap.Add(nullptr, 0, 5) == AddOutcome::kAdded);
  CHECK(heap.Add(nullptr, 0, 5) == AddOutcome::kDuplicate);
  CHECK(heap.Add(nullptr, 0, 3) == AddOutcome::kAdded);
  int64_t time = 0;
  CHECK(heap.PopDue(INT64_MAX, &time, nullptr));
  LONGS_EQUAL(3, time);
  CHECK(heap.Cancel(nullptr, 0, 5));
  CHECK(heap.empty());
}

namespace {

// Drives a TimerHeap and a plain reference model with the same random
// operations and checks they agree after every step.
void RunAgainstReference(uint32_t capacity, int64_t key_count,
                         int64_t time_span, uint64_t (*hash_of)(int64_t),
                         uint32_t seed, int operations) {
  TimerHeap heap(capacity, 2);
  // (time, seq, key id): the fire order.
  std::set<std::tuple<int64_t, uint64_t, int64_t>> order;
  // (key id, time) -> seq: what is pending.
  std::map<std::pair<int64_t, int64_t>, uint64_t> pending;
  uint64_t seq = 0;
  int64_t clock = 0;  // drifts upward, as a watermark does
  std::mt19937 rng(seed);
  int added = 0, duplicates = 0, fulls = 0, cancelled = 0, popped = 0;
  int emptied = 0, absent_cancels = 0;
  const int phase = std::max(500, 8 * static_cast<int>(capacity));

  for (int op = 0; op < operations; ++op) {
    const int64_t id = static_cast<int64_t>(rng() % key_count);
    const int64_t time = clock + static_cast<int64_t>(rng() % time_span);
    const Key key = MakeKey(id);
    // Alternate filling and draining phases so the heap is sometimes full
    // and sometimes empty.
    const bool filling = (op / phase) % 2 == 0;
    const uint32_t choice = rng() % 20;
    if (choice < (filling ? 14u : 6u)) {
      AddOutcome got = heap.Add(key.slots, hash_of(id), time);
      auto it = pending.find({id, time});
      if (it != pending.end()) {
        CHECK(got == AddOutcome::kDuplicate);
        ++duplicates;
      } else if (pending.size() == capacity) {
        CHECK(got == AddOutcome::kFull);
        ++fulls;
      } else {
        CHECK(got == AddOutcome::kAdded);
        pending[{id, time}] = seq;
        order.insert({time, seq, id});
        ++seq;
        ++added;
      }
    } else if (choice < (filling ? 17u : 10u)) {
      // Half the time cancel a pending timer (the next one after a random
      // (key, time)); otherwise a random, usually absent, one.
      int64_t cancel_id = id, cancel_time = time;
      if (rng() % 2 == 0) {
        auto next = pending.lower_bound({id, time});
        if (next != pending.end()) {
          cancel_id = next->first.first;
          cancel_time = next->first.second;
        }
      }
      const Key cancel_key = MakeKey(cancel_id);
      bool got = heap.Cancel(cancel_key.slots, hash_of(cancel_id), cancel_time);
      auto it = pending.find({cancel_id, cancel_time});
      CHECK_EQUAL(it != pending.end(), got);
      if (it != pending.end()) {
        order.erase({cancel_time, it->second, cancel_id});
        pending.erase(it);
        ++cancelled;
      } else {
        ++absent_cancels;
      }
    } else {
      // Pop up to a few timers due by a point near the front, one at a time.
      const int64_t up_to = clock + static_cast<int64_t>(rng() % time_span) -
                            static_cast<int64_t>(time_span / 4);
      for (uint32_t n = 1 + rng() % 4; n > 0; --n) {
        int64_t got_time = 0;
        Key out = MakeKey(-1);
        bool got = heap.PopDue(up_to, &got_time, out.slots);
        const bool due = !order.empty() && std::get<0>(*order.begin()) <= up_to;
        CHECK_EQUAL(due, got);
        if (!got) break;
        auto [want_time, want_seq, want_id] = *order.begin();
        LONGS_EQUAL(want_time, got_time);
        LONGS_EQUAL(want_id, out.slots[0].i64);
        DOUBLES_EQUAL(static_cast<double>(want_id) * 0.5, out.slots[1].f64,
                      0.0);
        order.erase(order.begin());
        pending.erase({want_id, want_time});
        ++popped;
      }
      if (rng() % 4 == 0) ++clock;
    }
    LONGS_EQUAL(pending.size(), heap.size());
    if (pending.empty()) ++emptied;
    const int64_t want_next =
        order.empty() ? INT64_MAX : std::get<0>(*order.begin());
    CHECK(want_next == heap.next_time());
  }
  // Every path was exercised, not just some of them.
  CHECK(added > operations / 10);
  CHECK(duplicates > 0);
  CHECK(fulls > 0);
  CHECK(cancelled > operations / 50);
  CHECK(popped > operations / 20);
  CHECK(emptied > 0);
  CHECK(absent_cancels > 0);

  // Drain: the rest comes out in (time, seq) order.
  while (!order.empty()) {
    int64_t got_time = 0;
    Key out = MakeKey(-1);
    CHECK(heap.PopDue(INT64_MAX, &got_time, out.slots));
    LONGS_EQUAL(std::get<0>(*order.begin()), got_time);
    LONGS_EQUAL(std::get<2>(*order.begin()), out.slots[0].i64);
    order.erase(order.begin());
  }
  CHECK(heap.empty());
}

uint64_t ConstantHash(int64_t) { return 0x1234; }
uint64_t IdentityHash(int64_t id) { return static_cast<uint64_t>(id); }

}  // namespace

TEST(TimerHeap, MatchesReferenceWithCollidingHashes) {
  RunAgainstReference(/*capacity=*/64, /*key_count=*/24, /*time_span=*/12,
                      HashOf, /*seed=*/1, /*operations=*/20000);
}

TEST(TimerHeap, MatchesReferenceWithOneHashForAllKeys) {
  RunAgainstReference(/*capacity=*/48, /*key_count=*/16, /*time_span=*/6,
                      ConstantHash, /*seed=*/2, /*operations=*/20000);
}

TEST(TimerHeap, MatchesReferenceWhenSmallAndOftenFull) {
  // Eight buckets for five timers: clusters wrap around the bucket array.
  RunAgainstReference(/*capacity=*/5, /*key_count=*/6, /*time_span=*/4,
                      ConstantHash, /*seed=*/3, /*operations=*/10000);
}

TEST(TimerHeap, MatchesReferenceWithManyKeys) {
  RunAgainstReference(/*capacity=*/500, /*key_count=*/400, /*time_span=*/40,
                      IdentityHash, /*seed=*/4, /*operations=*/30000);
}

TEST(TimerHeap, PushedTimersFireInOrderWithAddedOnesAndCancelByHandle) {
  TimerHeap heap(8, 2);
  Key a = MakeKey(1), b = MakeKey(2), c = MakeKey(3);
  const uint32_t ha = heap.Push(a.slots, 20);
  CHECK(Add(heap, 4, 20) == AddOutcome::kAdded);
  const uint32_t hb = heap.Push(b.slots, 10);
  const uint32_t hc = heap.Push(c.slots, 20);
  CHECK(ha != TimerHeap::kNoHandle && hb != TimerHeap::kNoHandle &&
        hc != TimerHeap::kNoHandle);
  LONGS_EQUAL(4, heap.size());
  heap.CancelHandle(ha);
  // Pushed timers are not in the (key, time) index.
  CHECK_FALSE(Cancel(heap, 3, 20));
  int64_t time;
  LONGS_EQUAL(2, Pop(heap, 100, &time));
  LONGS_EQUAL(10, time);
  LONGS_EQUAL(4, Pop(heap, 100, &time));  // registration order at time 20
  LONGS_EQUAL(3, Pop(heap, 100, &time));
  CHECK(heap.empty());
  LONGS_EQUAL(INT64_MAX, heap.next_time());
}

TEST(TimerHeap, PushReportsFull) {
  TimerHeap heap(2, 2);
  Key a = MakeKey(1);
  CHECK(heap.Push(a.slots, 1) != TimerHeap::kNoHandle);
  CHECK(heap.Push(a.slots, 2) != TimerHeap::kNoHandle);
  CHECK(heap.Push(a.slots, 3) == TimerHeap::kNoHandle);
  // Cancelling an emptied time's last timer drops the time.
  int64_t time;
  LONGS_EQUAL(1, Pop(heap, 1, &time));
  CHECK(heap.Push(a.slots, 3) != TimerHeap::kNoHandle);
  LONGS_EQUAL(2, heap.next_time());
}

// Rescaling walks every pending timer: each once, with its key and time,
// those of one time in registration order, Push's marked as such.
TEST(TimerHeap, ForEachPendingSeesEveryTimerOnceInRegistrationOrderPerTime) {
  TimerHeap heap(16, 2);
  CHECK(Add(heap, 1, 50) == AddOutcome::kAdded);
  CHECK(Add(heap, 2, 20) == AddOutcome::kAdded);
  CHECK(Add(heap, 3, 50) == AddOutcome::kAdded);
  Key pushed = MakeKey(4);
  const uint32_t handle = heap.Push(pushed.slots, 50);
  CHECK(Add(heap, 5, 70) == AddOutcome::kAdded);
  CHECK(Cancel(heap, 5, 70));
  std::vector<int64_t> at50;
  int count = 0;
  heap.ForEachPending([&](uint32_t h, const Slot* key, int64_t time, bool by_push) {
    ++count;
    CHECK(key[1].f64 == static_cast<double>(key[0].i64) * 0.5);
    CHECK_EQUAL(key[0].i64 == 4, by_push);
    if (by_push) LONGS_EQUAL(handle, h);
    if (time == 50) at50.push_back(key[0].i64);
    if (key[0].i64 == 2) LONGS_EQUAL(20, time);
  });
  LONGS_EQUAL(4, count);
  const std::vector<int64_t> order = {1, 3, 4};
  CHECK(at50 == order);
}
