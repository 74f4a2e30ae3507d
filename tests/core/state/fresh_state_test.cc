// Building state writes nothing: a fresh KeyedTable's and TimerHeap's arrays
// are all zero bytes, so none of their memory is resident until keys and
// timers arrive (docs/STATE.md, Memory). And IdArray, which makes zero mean
// "no id", round-trips ids.
#include <cstdint>
#include <string_view>

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
