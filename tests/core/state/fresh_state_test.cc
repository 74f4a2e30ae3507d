// Building state writes nothing: a fresh KeyedTable's and TimerHeap's arrays
// are all zero bytes, so none of their memory is resident until keys and
// timers arrive (docs/STATE.md, Memory). IdArray, which makes zero mean
// "no id", round-trips ids; and a heap whose free-id stacks were never
// written all through comes back whole from a checkpoint's blocks.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema/row.h"
#include "core/state/keyed_table.h"
#include "core/state/timer_heap.h"
#include "core/state/tracked_array.h"

// CppUTest redefines `new`; it goes after every other header.
#include <CppUTest/TestHarness.h>

using runnel::schema::Slot;
using runnel::state::IdArray;
using runnel::state::KeyedTable;
using runnel::state::KeyedTableOptions;
using runnel::state::TimerHeap;
using runnel::state::TrackedRegion;

namespace {

// The nonzero bytes in every block of `regions`, as a full checkpoint reads
// them.
template <typename State>
size_t NonzeroBytes(State* state) {
  TrackedRegion* regions[State::kRegions];
  uint32_t count = 0;
  state->AppendRegions(regions, &count);
  size_t nonzero = 0;
  for (uint32_t r = 0; r < count; ++r) {
    regions[r]->TakeDirty(/*all=*/true, [&](uint32_t, std::string_view bytes) {
      for (char c : bytes) nonzero += c != 0;
      return true;
    });
  }
  return nonzero;
}

// Every block of every region of `from`, written into `to`'s, as a full
// checkpoint and its restore do (core/state/state_image.cc).
template <typename State>
void CopyBlocks(State* from, State* to) {
  TrackedRegion* source[State::kRegions];
  TrackedRegion* target[State::kRegions];
  uint32_t count = 0;
  from->AppendRegions(source, &count);
  count = 0;
  to->AppendRegions(target, &count);
  for (uint32_t r = 0; r < count; ++r) {
    source[r]->TakeDirty(/*all=*/true, [&](uint32_t block, std::string_view bytes) {
      CHECK(target[r]->RestoreBlock(block, bytes));
      return true;
    });
  }
}

}  // namespace

TEST_GROUP(FreshState){};

TEST(FreshState, BuildingAKeyedTableWritesNothing) {
  KeyedTableOptions options;
  options.capacity = 4096;
  options.key_slots = 2;
  options.value_slots = 3;
  KeyedTable table(options);
  LONGS_EQUAL(0, NonzeroBytes(&table));

  Slot key[2];
  key[0].i64 = 7;
  key[1].i64 = 8;
  const uint64_t hash = KeyedTable::HashKey(key, 2);
  Slot* value = nullptr;
  CHECK(table.FindOrInsert(key, hash, 0, &value) == KeyedTable::Outcome::kInserted);
  value[0].i64 = 42;
  CHECK(NonzeroBytes(&table) > 0);
  LONGS_EQUAL(42, table.Find(key, hash)->i64);
}

TEST(FreshState, BuildingATimerHeapWritesNothing) {
  TimerHeap heap(4096, 2);
  LONGS_EQUAL(0, NonzeroBytes(&heap));

  Slot key[2];
  key[0].i64 = 7;
  key[1].i64 = 8;
  CHECK(heap.Add(key, 7, 1000) == TimerHeap::AddOutcome::kAdded);
  CHECK(NonzeroBytes(&heap) > 0);
  LONGS_EQUAL(1000, heap.next_time());
}

TEST(FreshState, IdArrayReadsNoneUntilSet) {
  IdArray ids(8);
  LONGS_EQUAL(IdArray::kNone, ids[3]);
  ids.Set(3, 0);
  LONGS_EQUAL(0, ids[3]);
  ids.Set(3, 5);
  LONGS_EQUAL(5, ids[3]);
  ids.Set(3, IdArray::kNone);
  LONGS_EQUAL(IdArray::kNone, ids[3]);
}

TEST(FreshState, APartlyUsedTimerHeapComesBackWholeFromItsBlocks) {
  TimerHeap saved(64, 1);
  Slot key[1];
  std::vector<uint32_t> handles;
  for (int64_t i = 0; i < 10; ++i) {
    key[0].i64 = i;
    handles.push_back(saved.Push(key, 1000 + i % 3));
  }
  saved.CancelHandle(handles[4]);  // frees an id in the middle
  int64_t time = 0;
  CHECK(saved.PopDue(1000, &time, key));  // and a group
  TimerHeap restored(64, 1);
  CopyBlocks(&saved, &restored);
  restored.RestoreScalars(saved.SaveScalars());

  // Both hand out the same ids and fire the same timers in the same order.
  for (int64_t i = 10; i < 60; ++i) {
    key[0].i64 = i;
    LONGS_EQUAL(saved.Push(key, 1000 + i % 7), restored.Push(key, 1000 + i % 7));
  }
  LONGS_EQUAL(saved.size(), restored.size());
  Slot saved_key[1];
  Slot restored_key[1];
  int64_t saved_time = 0;
  int64_t restored_time = 0;
  while (saved.PopDue(INT64_MAX, &saved_time, saved_key)) {
    CHECK(restored.PopDue(INT64_MAX, &restored_time, restored_key));
    LONGS_EQUAL(saved_time, restored_time);
    LONGS_EQUAL(saved_key[0].i64, restored_key[0].i64);
  }
  CHECK(restored.empty());
}
