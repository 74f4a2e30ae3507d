// StateImage: a table and a timer heap restored from incremental snapshots
// behave exactly like the originals from then on — same lookups, eviction
// and iteration order, same timers popping in the same order. A write that
// a TrackedArray did not mark would leave the restored copy behind and fail
// these comparisons.
#include "core/state/state_image.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/runtime/state_buffer.h"
#include "tests/testing/checkpoint_records.h"
#include "core/state/keyed_table.h"
#include "core/state/timer_heap.h"

// CppUTest last: its leak detector redefines `new` for what follows.
#include "CppUTest/TestHarness.h"

using runnel::runtime::StateBuffer;
using runnel::schema::Slot;
using runnel::state::KeyedTable;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;
using runnel::state::StateImage;
using runnel::state::TimerHeap;

namespace {

// One operator's worth of state: a table with TTL and eviction, a heap.
struct State {
  explicit State(const KeyedTableOptions& options) : table(options), heap(200, 1) {
    image.Add(&table);
    image.Add(&heap);
    image.EnableTracking();
  }
  KeyedTable table;
  TimerHeap heap;
  StateImage image;
  int64_t own = 0;  // an operator scalar
};

// Tables big enough to span many 256-byte blocks, so a write that is not
// marked lands in a block nothing else marked: a small one fills and
// evicts, a larger one expires by TTL.
KeyedTableOptions Options(bool small) {
  KeyedTableOptions options;
  options.capacity = small ? 256 : 1500;
  options.key_slots = 1;
  options.value_slots = 3;
  options.policy = OverflowPolicy::kEvictOldest;
  options.ttl = small ? 0 : 400;
  return options;
}

void Restore(const runnel::testing::CheckpointRecords& records, State* state) {
  std::string own;
  for (const auto& [key, value] : records) {
    const auto status = state->image.RestoreEntry(key, value, &own);
    CHECK_TEXT(status.ok(), status.message().c_str());
  }
  LONGS_EQUAL(sizeof(int64_t), own.size());
  std::memcpy(&state->own, own.data(), sizeof(int64_t));
}

// One random step applied to a state; returns a trace of what happened.
std::string Step(std::mt19937_64& rng, int64_t now, State* s) {
  Slot key;
  key.i64 = static_cast<int64_t>(rng() % 600);
  const uint64_t hash = KeyedTable::HashKey(&key, 1);
  std::string trace;
  switch (rng() % 6) {
    case 0:
    case 1: {
      Slot* value = nullptr;
      const auto outcome = s->table.FindOrInsert(&key, hash, now, &value);
      trace = "insert " + std::to_string(static_cast<int>(outcome));
      if (value != nullptr) {
        value[0].i64 += 1;
        value[2].i64 = now;
      }
      s->own += key.i64;
      break;
    }
    case 2:
      trace = s->table.Erase(&key, hash) ? "erased" : "absent";
      break;
    case 3:
      trace = "timer " + std::to_string(static_cast<int>(
                             s->heap.Add(&key, hash, now + static_cast<int64_t>(rng() % 50))));
      break;
    case 4: {
      int64_t time = 0;
      Slot popped;
      trace = s->heap.PopDue(now, &time, &popped)
                  ? "pop " + std::to_string(time) + " " + std::to_string(popped.i64)
                  : "nothing due";
      break;
    }
    default:
      trace = "cancel " + std::to_string(s->heap.Cancel(&key, hash, now + 10));
      break;
  }
  return trace;
}

// Everything observable: the entries in recency order, the next timer.
std::string Dump(const State& s) {
  std::string dump = "own " + std::to_string(s.own) + " size " + std::to_string(s.table.size());
  s.table.ForEach([&](const Slot* key, const Slot* value) {
    dump += " " + std::to_string(key[0].i64) + ":" + std::to_string(value[0].i64) + "/" +
            std::to_string(value[2].i64);
  });
  dump += " timers " + std::to_string(s.heap.size()) + " next " + std::to_string(s.heap.next_time());
  return dump;
}

}  // namespace

TEST_GROUP(StateImage){};

TEST(StateImage, RestoredFromIncrementalSnapshotsBehavesAsTheOriginal) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed);
    const bool small = seed % 3 != 0;
    State original(Options(small));
    StateBuffer buffer(original.image.MaxSnapshotBytes(sizeof(int64_t)));
    runnel::testing::CheckpointRecords records;
    int64_t now = 0;
    const int checkpoints = 1 + static_cast<int>(rng() % 6);
    for (int c = 0; c < checkpoints; ++c) {
      const int steps = static_cast<int>(rng() % (c == 0 ? 1500 : 60));
      for (int i = 0; i < steps; ++i) Step(rng, now += static_cast<int64_t>(rng() % 7), &original);
      buffer.Clear();
      const bool full = c == 0 && seed % 2 == 0;
      CHECK(original.image.Snapshot(
          full, std::string_view(reinterpret_cast<const char*>(&original.own), sizeof(int64_t)),
          &buffer));
      runnel::testing::KeepLatest(buffer, &records);
    }
    State restored(Options(small));
    Restore(records, &restored);
    STRCMP_EQUAL(Dump(original).c_str(), Dump(restored).c_str());
    // The same steps from here on give the same results on both.
    std::mt19937_64 rng_a(seed * 1000);
    std::mt19937_64 rng_b(seed * 1000);
    for (int i = 0; i < 2000; ++i) {
      now += 3;
      const std::string a = Step(rng_a, now, &original);
      const std::string b = Step(rng_b, now, &restored);
      STRCMP_EQUAL(a.c_str(), b.c_str());
    }
    STRCMP_EQUAL(Dump(original).c_str(), Dump(restored).c_str());
  }
}

TEST(StateImage, AnIncrementalSnapshotHoldsOnlyTheChangedBlocks) {
  State state(Options(true));
  StateBuffer buffer(state.image.MaxSnapshotBytes(0));
  CHECK(state.image.Snapshot(/*full=*/true, {}, &buffer));
  const uint64_t full_records = buffer.records();
  buffer.Clear();
  CHECK(state.image.Snapshot(/*full=*/false, {}, &buffer));
  LONGS_EQUAL(2, buffer.records());  // only the layout and header: nothing changed
  Slot key;
  key.i64 = 7;
  Slot* value = nullptr;
  state.table.FindOrInsert(&key, KeyedTable::HashKey(&key, 1), 1, &value);
  buffer.Clear();
  CHECK(state.image.Snapshot(/*full=*/false, {}, &buffer));
  // The layout and header plus at most one block per table array (bucket,
  // key, value, stamp, links, bucket_of).
  CHECK(buffer.records() > 2);
  CHECK(buffer.records() <= 2 + KeyedTable::kRegions);
  CHECK(buffer.records() < full_records);
}

TEST(StateImage, ABlockOfAnotherLayoutIsRefused) {
  State state(Options(true));
  std::string own;
  const char bad_region[] = {'b', 99, 0, 0, 0, 0};
  const auto status = state.image.RestoreEntry(std::string_view(bad_region, 6), "x", &own);
  CHECK_FALSE(status.ok());
  STRCMP_CONTAINS("region 99", status.message().c_str());
  CHECK_FALSE(state.image.RestoreEntry("h", "short", &own).ok());
}

TEST(StateImage, AnotherLayoutIsRefusedBeforeAnyBlock) {
  State state(Options(true));
  StateBuffer buffer(state.image.MaxSnapshotBytes(0));
  CHECK(state.image.Snapshot(/*full=*/false, {}, &buffer));
  State bigger(Options(false));  // another capacity
  std::string own;
  bool checked = false;
  buffer.ForEach([&](bool, std::string_view key, std::string_view value) {
    if (key != "a") return;
    const auto status = bigger.image.RestoreEntry(key, value, &own);
    CHECK_FALSE(status.ok());
    STRCMP_CONTAINS("layout", status.message().c_str());
    CHECK(std::string(key) < std::string("b"));  // sorts before every block
    checked = true;
  });
  CHECK(checked);
}
