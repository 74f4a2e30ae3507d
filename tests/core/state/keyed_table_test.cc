#include "core/state/keyed_table.h"

#include <cstdint>
#include <random>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

// CppUTest last: its leak detector redefines `new` for what follows.
// clang-format off
#include <CppUTest/TestHarness.h>
#include <CppUTest/TestMemoryAllocator.h>
// clang-format on

using runnel::schema::Slot;
using runnel::state::KeyedTable;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;
using Outcome = KeyedTable::Outcome;

namespace {

Slot SlotOf(int64_t v) {
  Slot s;
  s.i64 = v;
  return s;
}

uint64_t HashOf(int64_t key) {
  Slot k = SlotOf(key);
  return KeyedTable::HashKey(&k, 1);
}

KeyedTableOptions Options(uint32_t capacity,
                          OverflowPolicy policy = OverflowPolicy::kFail,
                          int64_t ttl = 0) {
  KeyedTableOptions options;
  options.capacity = capacity;
  options.policy = policy;
  options.ttl = ttl;
  return options;
}

// FindOrInsert of a one-slot key; on success sets its one-slot value.
Outcome PutHashed(KeyedTable* table, int64_t key, uint64_t hash, int64_t value,
                  int64_t now = 0) {
  Slot k = SlotOf(key);
  Slot* v = nullptr;
  Outcome outcome = table->FindOrInsert(&k, hash, now, &v);
  if (outcome == Outcome::kFound || outcome == Outcome::kInserted) {
    v->i64 = value;
  }
  return outcome;
}

Outcome Put(KeyedTable* table, int64_t key, int64_t value, int64_t now = 0) {
  return PutHashed(table, key, HashOf(key), value, now);
}

// The one-slot value of `key`, or nullptr.
const Slot* GetHashed(KeyedTable* table, int64_t key, uint64_t hash) {
  Slot k = SlotOf(key);
  return table->Find(&k, hash);
}

const Slot* Get(KeyedTable* table, int64_t key) {
  return GetHashed(table, key, HashOf(key));
}

bool EraseKey(KeyedTable* table, int64_t key) {
  Slot k = SlotOf(key);
  return table->Erase(&k, HashOf(key));
}

// The one-slot keys in ForEach order.
std::vector<int64_t> KeysInOrder(const KeyedTable& table) {
  std::vector<int64_t> keys;
  table.ForEach(
      [&keys](const Slot* key, const Slot*) { keys.push_back(key->i64); });
  return keys;
}

// Runs random upserts, erases and finds of two-slot keys against
// std::unordered_map, with `hash_of` choosing each key's hash. Values hold
// (step of last update, a key-derived check), so ForEach order can be checked
// too: steps are the `now` of each update and must rise oldest-first.
void CheckAgainstReference(uint32_t capacity, int64_t key_space, int steps,
                           uint64_t seed, uint64_t (*hash_of)(const Slot*)) {
  KeyedTableOptions options = Options(capacity);
  options.key_slots = 2;
  options.value_slots = 2;
  KeyedTable table(options);
  std::unordered_map<int64_t, std::pair<int64_t, int64_t>> reference;
  std::mt19937_64 rng(seed);

  auto check_all = [&]() {
    UNSIGNED_LONGS_EQUAL(reference.size(), table.size());
    size_t visited = 0;
    int64_t last_step = -1;
    table.ForEach([&](const Slot* key, const Slot* value) {
      ++visited;
      LONGLONGS_EQUAL(key[0].i64 ^ 0x5555, key[1].i64);
      auto it = reference.find(key[0].i64);
      CHECK_TRUE(it != reference.end());
      LONGLONGS_EQUAL(it->second.first, value[0].i64);
      LONGLONGS_EQUAL(it->second.second, value[1].i64);
      CHECK_TRUE(value[0].i64 > last_step);
      last_step = value[0].i64;
    });
    UNSIGNED_LONGS_EQUAL(reference.size(), visited);
  };

  for (int step = 0; step < steps; ++step) {
    const int64_t k = static_cast<int64_t>(rng() % key_space);
    Slot key[2] = {SlotOf(k), SlotOf(k ^ 0x5555)};
    const uint64_t hash = hash_of(key);
    const uint64_t op = rng() % 8;
    if (op < 4) {
      Slot* value = nullptr;
      Outcome outcome = table.FindOrInsert(key, hash, step, &value);
      auto it = reference.find(k);
      if (it == reference.end()) {
        ENUMS_EQUAL_INT(Outcome::kInserted, outcome);
        LONGLONGS_EQUAL(0, value[0].i64);
        LONGLONGS_EQUAL(0, value[1].i64);
      } else {
        ENUMS_EQUAL_INT(Outcome::kFound, outcome);
        LONGLONGS_EQUAL(it->second.first, value[0].i64);
        LONGLONGS_EQUAL(it->second.second, value[1].i64);
      }
      value[0].i64 = step;
      value[1].i64 = k * 3 + 1;
      reference[k] = {step, k * 3 + 1};
    } else if (op < 6) {
      CHECK_EQUAL(reference.erase(k) == 1, table.Erase(key, hash));
    } else {
      const Slot* value = table.Find(key, hash);
      auto it = reference.find(k);
      if (it == reference.end()) {
        POINTERS_EQUAL(nullptr, value);
      } else {
        CHECK_TRUE(value != nullptr);
        LONGLONGS_EQUAL(it->second.first, value[0].i64);
        LONGLONGS_EQUAL(it->second.second, value[1].i64);
      }
    }
    if (step % 5000 == 0) check_all();
  }
  check_all();
  UNSIGNED_LONGLONGS_EQUAL(0, table.evicted());
  UNSIGNED_LONGLONGS_EQUAL(0, table.dropped());
}

uint64_t RealHash(const Slot* key) { return KeyedTable::HashKey(key, 2); }

// Seven hashes whose home buckets are the last seven of any power-of-two
// array, so every probe run is long and wraps to bucket 0.
uint64_t CollidingHash(const Slot* key) {
  return ~uint64_t{0} - static_cast<uint64_t>(key[0].i64 % 7);
}

// Counts allocations made through CppUTest's operator new while installed.
class CountingAllocator : public TestMemoryAllocator {
 public:
  explicit CountingAllocator(TestMemoryAllocator* real)
      : TestMemoryAllocator(real->name(), real->alloc_name(),
                            real->free_name()),
        real_(real) {}

  char* alloc_memory(size_t size, const char* file, size_t line) override {
    ++allocations;
    return real_->alloc_memory(size, file, line);
  }
  void free_memory(char* memory, size_t size, const char* file,
                   size_t line) override {
    real_->free_memory(memory, size, file, line);
  }
  TestMemoryAllocator* actualAllocator() override {
    return real_->actualAllocator();
  }

  int allocations = 0;

 private:
  TestMemoryAllocator* real_;
};

}  // namespace

TEST_GROUP(KeyedTable){};

TEST(KeyedTable, InsertsFindsAndUpdates) {
  KeyedTable table(Options(8));
  POINTERS_EQUAL(nullptr, Get(&table, 1));

  Slot key = SlotOf(1);
  Slot* value = nullptr;
  ENUMS_EQUAL_INT(Outcome::kInserted,
                  table.FindOrInsert(&key, HashOf(1), 0, &value));
  CHECK_TRUE(value != nullptr);
  LONGLONGS_EQUAL(0, value->i64);  // new values start zeroed
  value->i64 = 10;

  Slot* again = nullptr;
  ENUMS_EQUAL_INT(Outcome::kFound,
                  table.FindOrInsert(&key, HashOf(1), 1, &again));
  POINTERS_EQUAL(value, again);
  LONGLONGS_EQUAL(10, again->i64);
  again->i64 = 11;

  ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, 2, 20));
  LONGLONGS_EQUAL(11, Get(&table, 1)->i64);
  LONGLONGS_EQUAL(20, Get(&table, 2)->i64);
  POINTERS_EQUAL(nullptr, Get(&table, 3));
  UNSIGNED_LONGS_EQUAL(2, table.size());
  UNSIGNED_LONGS_EQUAL(8, table.capacity());
}

TEST(KeyedTable, ComparesEverySlotOfWideKeys) {
  KeyedTableOptions options = Options(8);
  options.key_slots = 3;
  options.value_slots = 2;
  KeyedTable table(options);
  Slot a[3] = {SlotOf(1), SlotOf(2), SlotOf(3)};
  Slot b[3] = {SlotOf(1), SlotOf(2), SlotOf(4)};  // differs in the last slot
  Slot* va = nullptr;
  Slot* vb = nullptr;
  // Same hash on purpose: only the key bytes can tell them apart.
  ENUMS_EQUAL_INT(Outcome::kInserted, table.FindOrInsert(a, 5, 0, &va));
  ENUMS_EQUAL_INT(Outcome::kInserted, table.FindOrInsert(b, 5, 0, &vb));
  CHECK_TRUE(va != vb);
  va[1].i64 = 100;
  vb[1].i64 = 200;
  LONGLONGS_EQUAL(100, table.Find(a, 5)[1].i64);
  LONGLONGS_EQUAL(200, table.Find(b, 5)[1].i64);
  CHECK_TRUE(KeyedTable::HashKey(a, 3) != KeyedTable::HashKey(b, 3));
}

TEST(KeyedTable, HoldsAsManyKeysAsItsCapacity) {
  const int64_t n = 100000;
  KeyedTable table(Options(n));
  for (int64_t k = 0; k < n; ++k) {
    ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, k, k * 2));
  }
  UNSIGNED_LONGS_EQUAL(n, table.size());
  ENUMS_EQUAL_INT(Outcome::kFull, Put(&table, n, 0));
  for (int64_t k = 0; k < n; ++k) {
    const Slot* value = Get(&table, k);
    CHECK_TRUE(value != nullptr);
    LONGLONGS_EQUAL(k * 2, value->i64);
  }
  for (int64_t k = n; k < n + 1000; ++k)
    POINTERS_EQUAL(nullptr, Get(&table, k));
}

TEST(KeyedTable, FailPolicyReportsFullAndChangesNothing) {
  KeyedTable table(Options(4, OverflowPolicy::kFail));
  for (int64_t k = 0; k < 4; ++k) Put(&table, k, k + 100, k);
  const std::vector<int64_t> order = KeysInOrder(table);

  Slot key = SlotOf(99);
  Slot sentinel;
  Slot* value = &sentinel;
  ENUMS_EQUAL_INT(Outcome::kFull,
                  table.FindOrInsert(&key, HashOf(99), 10, &value));
  POINTERS_EQUAL(&sentinel, value);
  UNSIGNED_LONGS_EQUAL(4, table.size());
  POINTERS_EQUAL(nullptr, Get(&table, 99));
  for (int64_t k = 0; k < 4; ++k) LONGLONGS_EQUAL(k + 100, Get(&table, k)->i64);
  CHECK_TRUE(order == KeysInOrder(table));
  UNSIGNED_LONGLONGS_EQUAL(0, table.evicted());
  UNSIGNED_LONGLONGS_EQUAL(0, table.dropped());

  // Keys already present are still found and updated.
  ENUMS_EQUAL_INT(Outcome::kFound, Put(&table, 2, 7, 11));
  LONGLONGS_EQUAL(7, Get(&table, 2)->i64);
}

TEST(KeyedTable, DropNewPolicyCountsDrops) {
  KeyedTable table(Options(2, OverflowPolicy::kDropNew));
  Put(&table, 1, 10);
  Put(&table, 2, 20);
  ENUMS_EQUAL_INT(Outcome::kDropped, Put(&table, 3, 30));
  ENUMS_EQUAL_INT(Outcome::kDropped, Put(&table, 4, 40));
  ENUMS_EQUAL_INT(Outcome::kDropped, Put(&table, 3, 30));
  UNSIGNED_LONGLONGS_EQUAL(3, table.dropped());
  UNSIGNED_LONGS_EQUAL(2, table.size());
  POINTERS_EQUAL(nullptr, Get(&table, 3));
  POINTERS_EQUAL(nullptr, Get(&table, 4));
  ENUMS_EQUAL_INT(Outcome::kFound, Put(&table, 1, 11));
  UNSIGNED_LONGLONGS_EQUAL(3, table.dropped());

  CHECK_TRUE(EraseKey(&table, 2));
  ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, 3, 30));
  UNSIGNED_LONGLONGS_EQUAL(3, table.dropped());
  UNSIGNED_LONGLONGS_EQUAL(0, table.evicted());
}

TEST(KeyedTable, EvictOldestEvictsLeastRecentlyUpdated) {
  KeyedTable table(Options(3, OverflowPolicy::kEvictOldest));
  Put(&table, 1, 10, 1);
  Put(&table, 2, 20, 2);
  Put(&table, 3, 30, 3);
  // Key 1 was inserted first but is updated now, so 2 is the oldest update.
  ENUMS_EQUAL_INT(Outcome::kFound, Put(&table, 1, 11, 4));
  ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, 4, 40, 5));
  UNSIGNED_LONGLONGS_EQUAL(1, table.evicted());
  UNSIGNED_LONGS_EQUAL(3, table.size());
  POINTERS_EQUAL(nullptr, Get(&table, 2));
  LONGLONGS_EQUAL(11, Get(&table, 1)->i64);
  LONGLONGS_EQUAL(30, Get(&table, 3)->i64);
  LONGLONGS_EQUAL(40, Get(&table, 4)->i64);

  // Find does not count as an update: 3 is still the oldest.
  Get(&table, 3);
  ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, 5, 50, 6));
  POINTERS_EQUAL(nullptr, Get(&table, 3));
  UNSIGNED_LONGLONGS_EQUAL(2, table.evicted());
  std::vector<int64_t> expected = {1, 4, 5};
  CHECK_TRUE(expected == KeysInOrder(table));
  UNSIGNED_LONGLONGS_EQUAL(0, table.dropped());
}

TEST(KeyedTable, EvictOldestWithCollidingHashes) {
  KeyedTable table(Options(4, OverflowPolicy::kEvictOldest));
  for (int64_t k = 0; k < 20; ++k) {
    ENUMS_EQUAL_INT(Outcome::kInserted, PutHashed(&table, k, 3, k, k));
    UNSIGNED_LONGS_EQUAL(k < 4 ? k + 1 : 4, table.size());
  }
  UNSIGNED_LONGLONGS_EQUAL(16, table.evicted());
  for (int64_t k = 0; k < 16; ++k)
    POINTERS_EQUAL(nullptr, GetHashed(&table, k, 3));
  for (int64_t k = 16; k < 20; ++k)
    LONGLONGS_EQUAL(k, GetHashed(&table, k, 3)->i64);
}

TEST(KeyedTable, ZeroCapacityNeverInserts) {
  KeyedTable evicting(Options(0, OverflowPolicy::kEvictOldest));
  ENUMS_EQUAL_INT(Outcome::kFull, Put(&evicting, 1, 1));
  KeyedTable dropping(Options(0, OverflowPolicy::kDropNew));
  ENUMS_EQUAL_INT(Outcome::kDropped, Put(&dropping, 1, 1));
  UNSIGNED_LONGS_EQUAL(0, evicting.size());
  UNSIGNED_LONGS_EQUAL(0, dropping.size());
}

TEST(KeyedTable, EraseThenReinsertStartsFromZero) {
  KeyedTable table(Options(4));
  Put(&table, 1, 10);
  Put(&table, 2, 20);
  CHECK_TRUE(EraseKey(&table, 1));
  CHECK_FALSE(EraseKey(&table, 1));
  CHECK_FALSE(EraseKey(&table, 3));
  POINTERS_EQUAL(nullptr, Get(&table, 1));
  UNSIGNED_LONGS_EQUAL(1, table.size());

  Slot key = SlotOf(1);
  Slot* value = nullptr;
  ENUMS_EQUAL_INT(Outcome::kInserted,
                  table.FindOrInsert(&key, HashOf(1), 1, &value));
  LONGLONGS_EQUAL(0, value->i64);
  LONGLONGS_EQUAL(20, Get(&table, 2)->i64);

  // Erasing and inserting over and over reuses the same entries.
  for (int round = 0; round < 100; ++round) {
    for (int64_t k = 10; k < 12; ++k) {
      ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, k, k));
    }
    UNSIGNED_LONGS_EQUAL(4, table.size());
    CHECK_TRUE(EraseKey(&table, 10));
    CHECK_TRUE(EraseKey(&table, 11));
  }
  UNSIGNED_LONGS_EQUAL(2, table.size());
}

TEST(KeyedTable, BackwardShiftKeepsCollidingKeysReachable) {
  // All keys share one hash, and a second group sits in the next home bucket,
  // so the run mixes two homes; erase from its middle, start and end.
  KeyedTable table(Options(64));
  auto hash_of = [](int64_t k) -> uint64_t { return k % 3 == 0 ? 41 : 40; };
  std::set<int64_t> live;
  for (int64_t k = 0; k < 60; ++k) {
    ENUMS_EQUAL_INT(Outcome::kInserted,
                    PutHashed(&table, k, hash_of(k), k * 10));
    live.insert(k);
  }
  const int64_t erase_order[] = {30, 0, 59, 1, 2, 3, 45, 44, 43, 10, 20, 58};
  for (int64_t k : erase_order) {
    Slot key = SlotOf(k);
    CHECK_TRUE(table.Erase(&key, hash_of(k)));
    CHECK_FALSE(table.Erase(&key, hash_of(k)));
    live.erase(k);
    for (int64_t j = 0; j < 60; ++j) {
      const Slot* value = GetHashed(&table, j, hash_of(j));
      if (live.count(j) != 0) {
        CHECK_TRUE(value != nullptr);
        LONGLONGS_EQUAL(j * 10, value->i64);
      } else {
        POINTERS_EQUAL(nullptr, value);
      }
    }
  }
  UNSIGNED_LONGS_EQUAL(live.size(), table.size());
  for (int64_t k : erase_order) {
    ENUMS_EQUAL_INT(Outcome::kInserted, PutHashed(&table, k, hash_of(k), -k));
    LONGLONGS_EQUAL(-k, GetHashed(&table, k, hash_of(k))->i64);
  }
  UNSIGNED_LONGS_EQUAL(60, table.size());
}

TEST(KeyedTable, BackwardShiftAcrossTheEndOfTheBucketArray) {
  // Home bucket = the last one, so the run wraps around to bucket 0; keys
  // homed at bucket 0 then interleave with it.
  KeyedTable table(Options(16));
  auto hash_of = [](int64_t k) -> uint64_t {
    return k % 2 == 0 ? ~uint64_t{0} : 0;
  };
  for (int64_t k = 0; k < 12; ++k) PutHashed(&table, k, hash_of(k), k + 1);
  for (int64_t k = 0; k < 12; k += 3) {
    Slot key = SlotOf(k);
    CHECK_TRUE(table.Erase(&key, hash_of(k)));
  }
  for (int64_t k = 0; k < 12; ++k) {
    const Slot* value = GetHashed(&table, k, hash_of(k));
    if (k % 3 == 0) {
      POINTERS_EQUAL(nullptr, value);
    } else {
      CHECK_TRUE(value != nullptr);
      LONGLONGS_EQUAL(k + 1, value->i64);
    }
  }
  UNSIGNED_LONGS_EQUAL(8, table.size());
}

TEST(KeyedTable, ValuePointersStayPutWhenOthersAreRemoved) {
  KeyedTable table(Options(32, OverflowPolicy::kEvictOldest));
  std::vector<Slot*> values;
  for (int64_t k = 0; k < 32; ++k) {
    Slot key = SlotOf(k);
    Slot* value = nullptr;
    table.FindOrInsert(&key, 9, k, &value);  // all in one probe run
    value->i64 = k;
    values.push_back(value);
  }
  for (int64_t k = 0; k < 32; k += 2) {
    Slot key = SlotOf(k);
    CHECK_TRUE(table.Erase(&key, 9));
  }
  for (int64_t k = 1; k < 32; k += 2) {
    POINTERS_EQUAL(values[k], GetHashed(&table, k, 9));
    LONGLONGS_EQUAL(k, values[k]->i64);
  }
}

TEST(KeyedTable, TtlHidesAndExpiresStaleEntries) {
  KeyedTable table(Options(8, OverflowPolicy::kFail, /*ttl=*/10));
  Put(&table, 1, 10, /*now=*/0);
  Put(&table, 2, 20, /*now=*/5);
  // At now = 10, key 1 (updated at 0 = now - ttl) is not yet older than ttl.
  UNSIGNED_LONGS_EQUAL(0, table.Expire(10));
  UNSIGNED_LONGS_EQUAL(2, table.size());

  // At now = 11 key 1 is stale: FindOrInsert treats it as absent.
  Slot key = SlotOf(1);
  Slot* value = nullptr;
  ENUMS_EQUAL_INT(Outcome::kInserted,
                  table.FindOrInsert(&key, HashOf(1), 11, &value));
  LONGLONGS_EQUAL(0, value->i64);
  UNSIGNED_LONGLONGS_EQUAL(1, table.expired());
  value->i64 = 11;

  // Updating key 2 refreshes it.
  ENUMS_EQUAL_INT(Outcome::kFound, Put(&table, 2, 21, 14));
  Put(&table, 3, 30, 12);  // the clock stays at 14, so this is stamped 14
  UNSIGNED_LONGS_EQUAL(0, table.Expire(21));
  UNSIGNED_LONGS_EQUAL(3, table.size());

  UNSIGNED_LONGS_EQUAL(1, table.Expire(22));  // key 1 (11) goes
  POINTERS_EQUAL(nullptr, Get(&table, 1));
  LONGLONGS_EQUAL(21, Get(&table, 2)->i64);
  LONGLONGS_EQUAL(30, Get(&table, 3)->i64);
  UNSIGNED_LONGLONGS_EQUAL(2, table.expired());

  UNSIGNED_LONGS_EQUAL(2, table.Expire(25));
  UNSIGNED_LONGS_EQUAL(0, table.size());
  POINTERS_EQUAL(nullptr, Get(&table, 2));
  POINTERS_EQUAL(nullptr, Get(&table, 3));
  UNSIGNED_LONGLONGS_EQUAL(4, table.expired());
  UNSIGNED_LONGS_EQUAL(0, table.Expire(1000));
  UNSIGNED_LONGLONGS_EQUAL(0, table.evicted());
}

TEST(KeyedTable, ClockNeverRunsBackwards) {
  KeyedTable table(Options(8, OverflowPolicy::kFail, /*ttl=*/10));
  Put(&table, 1, 1, 100);
  Put(&table, 2, 2, 50);  // late: stamped with the clock, 100
  UNSIGNED_LONGS_EQUAL(0, table.Expire(60));
  UNSIGNED_LONGS_EQUAL(0, table.Expire(110));
  UNSIGNED_LONGS_EQUAL(2, table.Expire(111));
}

TEST(KeyedTable, ExpiredEntriesMakeRoomInAFullTable) {
  KeyedTable table(Options(2, OverflowPolicy::kFail, /*ttl=*/5));
  Put(&table, 1, 1, 0);
  Put(&table, 2, 2, 1);
  ENUMS_EQUAL_INT(Outcome::kFull, Put(&table, 3, 3, 5));
  ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, 3, 3, 6));  // 1 expired
  UNSIGNED_LONGLONGS_EQUAL(1, table.expired());
  ENUMS_EQUAL_INT(Outcome::kInserted, Put(&table, 4, 4, 100));  // 2, 3 too
  UNSIGNED_LONGLONGS_EQUAL(3, table.expired());
  UNSIGNED_LONGS_EQUAL(1, table.size());
  LONGLONGS_EQUAL(4, Get(&table, 4)->i64);
}

TEST(KeyedTable, ExpireIsANoOpWithoutTtl) {
  KeyedTable table(Options(4));
  Put(&table, 1, 1, INT64_MIN);
  Put(&table, 2, 2, 0);
  UNSIGNED_LONGS_EQUAL(0, table.Expire(INT64_MAX));
  ENUMS_EQUAL_INT(Outcome::kFound, Put(&table, 1, 1, INT64_MAX));
  UNSIGNED_LONGS_EQUAL(2, table.size());
  UNSIGNED_LONGLONGS_EQUAL(0, table.expired());
}

TEST(KeyedTable, TtlNearTheStartOfTimeDoesNotOverflow) {
  KeyedTable table(Options(4, OverflowPolicy::kFail, /*ttl=*/INT64_MAX));
  Put(&table, 1, 1, INT64_MIN);
  UNSIGNED_LONGS_EQUAL(0, table.Expire(-1));
  UNSIGNED_LONGS_EQUAL(0, table.Expire(INT64_MIN + 5));
  UNSIGNED_LONGS_EQUAL(1, table.Expire(0));  // 0 - ttl = INT64_MIN + 1
}

TEST(KeyedTable, ForEachVisitsOldestUpdateFirst) {
  KeyedTable table(Options(8));
  CHECK_TRUE(KeysInOrder(table).empty());
  Put(&table, 5, 50, 1);
  Put(&table, 6, 60, 2);
  Put(&table, 7, 70, 3);
  Put(&table, 5, 51, 4);  // now the newest
  Put(&table, 8, 80, 5);
  std::vector<int64_t> expected = {6, 7, 5, 8};
  CHECK_TRUE(expected == KeysInOrder(table));

  std::vector<int64_t> values;
  table.ForEach([&values](const Slot*, const Slot* value) {
    values.push_back(value->i64);
  });
  std::vector<int64_t> expected_values = {60, 70, 51, 80};
  CHECK_TRUE(expected_values == values);

  CHECK_TRUE(EraseKey(&table, 7));
  CHECK_TRUE(EraseKey(&table, 8));
  expected = {6, 5};
  CHECK_TRUE(expected == KeysInOrder(table));
}

TEST(KeyedTable, FootprintCountsEveryArray) {
  KeyedTableOptions options = Options(1000);
  options.key_slots = 2;
  options.value_slots = 3;
  KeyedTable table(options);
  // At least the key and value slots and a 2x bucket array of 8-byte buckets.
  CHECK_TRUE(table.footprint_bytes() >= 1000 * 5 * sizeof(Slot) + 2000 * 8);
  KeyedTable small(Options(1));
  CHECK_TRUE(small.footprint_bytes() > 0);
  CHECK_TRUE(small.footprint_bytes() < table.footprint_bytes());
}

// Plan-time footprints are 64-bit on every target: a 32-bit size_t would
// wrap these to small numbers that pass the memory check.
TEST(KeyedTable, FootprintOfAHugeTableIsExactOrSaturates) {
  KeyedTableOptions options = Options(2000000000);
  options.key_slots = 1;
  options.value_slots = 3;
  // 2^32 buckets of 8 bytes; per entry 4 slots, a stamp, links and a bucket
  // index (20 bytes).
  UNSIGNED_LONGLONGS_EQUAL((uint64_t{1} << 32) * 8 + 2000000000ull * (4 * 8 + 20),
                           KeyedTable::FootprintBytes(options));
  options.key_slots = UINT32_MAX;
  options.value_slots = UINT32_MAX;
  UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, KeyedTable::FootprintBytes(options));
}

TEST(KeyedTable, HashKeyUsesRawBitsAndWidth) {
  Slot a[2] = {SlotOf(1), SlotOf(2)};
  Slot b[2] = {SlotOf(1), SlotOf(2)};
  UNSIGNED_LONGLONGS_EQUAL(KeyedTable::HashKey(a, 2),
                           KeyedTable::HashKey(b, 2));
  CHECK_TRUE(KeyedTable::HashKey(a, 1) != KeyedTable::HashKey(a, 2));
  Slot swapped[2] = {SlotOf(2), SlotOf(1)};
  CHECK_TRUE(KeyedTable::HashKey(a, 2) != KeyedTable::HashKey(swapped, 2));
  Slot zero = SlotOf(0);
  CHECK_TRUE(KeyedTable::HashKey(&zero, 1) != KeyedTable::HashKey(&zero, 0));
  // +0.0 and -0.0 are one value, so they hash alike (schema::KeyFields also
  // gathers -0.0 as +0.0, so the bytewise compare agrees).
  Slot plus, minus;
  plus.f64 = 0.0;
  minus.f64 = -0.0;
  UNSIGNED_LONGLONGS_EQUAL(KeyedTable::HashKey(&plus, 1), KeyedTable::HashKey(&minus, 1));
}

TEST(KeyedTable, HashKeySpreadsLowAndHighBits) {
  // Sequential integers (counters, ids) must spread over both the low bits
  // (table buckets) and the high 32 bits (partitions).
  const int64_t n = 4096;
  std::set<uint64_t> low, high, partitions;
  for (int64_t k = 0; k < n; ++k) {
    const uint64_t h = HashOf(k);
    low.insert(h & (n - 1));
    high.insert((h >> 32) & (n - 1));
    partitions.insert((h >> 32) % 4);
  }
  // A random function fills about 1 - 1/e = 63% of n buckets.
  CHECK_TRUE(static_cast<int64_t>(low.size()) > n * 6 / 10);
  CHECK_TRUE(static_cast<int64_t>(high.size()) > n * 6 / 10);
  UNSIGNED_LONGS_EQUAL(4, partitions.size());

  // Keys routed to one partition still spread over a table's low bits.
  std::set<uint64_t> low_in_partition;
  int64_t in_partition = 0;
  for (int64_t k = 0; k < 4 * n; ++k) {
    const uint64_t h = HashOf(k);
    if ((h >> 32) % 4 != 1) continue;
    ++in_partition;
    low_in_partition.insert(h & (n - 1));
  }
  CHECK_TRUE(in_partition > n * 9 / 10);
  CHECK_TRUE(static_cast<int64_t>(low_in_partition.size()) > n * 55 / 100);

  // Flipping any one input bit flips about half the output bits.
  int flipped = 0;
  for (int bit = 0; bit < 64; ++bit) {
    Slot a = SlotOf(0x123456789ABCDEFll);
    Slot b = SlotOf(
        static_cast<int64_t>(0x123456789ABCDEFull ^ (uint64_t{1} << bit)));
    flipped += __builtin_popcountll(KeyedTable::HashKey(&a, 1) ^
                                    KeyedTable::HashKey(&b, 1));
  }
  CHECK_TRUE(flipped > 64 * 24);
  CHECK_TRUE(flipped < 64 * 40);
}

TEST(KeyedTable, MatchesUnorderedMapUnderRandomOperations) {
  CheckAgainstReference(/*capacity=*/4096, /*key_space=*/3000,
                        /*steps=*/300000, /*seed=*/20240607, RealHash);
}

TEST(KeyedTable, MatchesUnorderedMapWithCollidingHashes) {
  CheckAgainstReference(/*capacity=*/256, /*key_space=*/200, /*steps=*/60000,
                        /*seed=*/7, CollidingHash);
}

TEST(KeyedTable, DoesNotAllocateAfterConstruction) {
  KeyedTableOptions options = Options(64, OverflowPolicy::kEvictOldest, 100);
  options.key_slots = 2;
  KeyedTable table(options);

  TestMemoryAllocator* real_new = getCurrentNewAllocator();
  TestMemoryAllocator* real_new_array = getCurrentNewArrayAllocator();
  CountingAllocator counting_new(real_new);
  CountingAllocator counting_new_array(real_new_array);
  setCurrentNewAllocator(&counting_new);
  setCurrentNewArrayAllocator(&counting_new_array);

  // The counter must see an allocation, or the check below proves nothing.
  int seen = 0;
  {
    std::vector<int> probe;
    probe.reserve(16);
    seen = counting_new.allocations + counting_new_array.allocations;
  }
  const int before = counting_new.allocations + counting_new_array.allocations;

  uint64_t work = 0;
  for (int64_t step = 0; step < 5000; ++step) {
    // Time jumps past the TTL every 1000 steps; in between, more than 64
    // keys are live within the TTL, so entries are evicted too.
    const int64_t now = step + 200 * (step / 1000);
    Slot key[2] = {SlotOf(step % 300), SlotOf(1)};
    const uint64_t hash = KeyedTable::HashKey(key, 2);
    Slot* value = nullptr;
    table.FindOrInsert(key, hash, now, &value);
    ++value->i64;
    if (step % 7 == 0) table.Erase(key, hash);
    if (step % 11 == 0) work += table.Find(key, hash) != nullptr;
    if (step % 13 == 0) table.Expire(now);
    table.ForEach([&work](const Slot*, const Slot* v) { work += v->i64 > 0; });
  }
  const int after = counting_new.allocations + counting_new_array.allocations;

  setCurrentNewAllocator(real_new);
  setCurrentNewArrayAllocator(real_new_array);

  CHECK_TRUE(seen > 0);
  LONGS_EQUAL(before, after);
  CHECK_TRUE(work > 0);
  CHECK_TRUE(table.evicted() > 0);
  CHECK_TRUE(table.expired() > 0);
}

TEST(KeyedTable, WithoutRecencyListFindsInsertsAndErases) {
  KeyedTableOptions options;
  options.capacity = 4;
  options.recency = false;
  KeyedTable table(options);
  Slot* value;
  for (int64_t k = 0; k < 4; ++k) {
    Slot key[1];
    key[0].i64 = k;
    CHECK(table.FindOrInsert(key, KeyedTable::HashKey(key, 1), 0, &value) ==
          KeyedTable::Outcome::kInserted);
    value->i64 = k * 10;
  }
  Slot key[1];
  key[0].i64 = 9;
  CHECK(table.FindOrInsert(key, KeyedTable::HashKey(key, 1), 0, &value) ==
        KeyedTable::Outcome::kFull);
  key[0].i64 = 2;
  CHECK(table.Erase(key, KeyedTable::HashKey(key, 1)));
  CHECK(table.Find(key, KeyedTable::HashKey(key, 1)) == nullptr);
  key[0].i64 = 3;
  LONGS_EQUAL(30, table.Find(key, KeyedTable::HashKey(key, 1))->i64);
  // Freed entries are reused.
  key[0].i64 = 9;
  CHECK(table.FindOrInsert(key, KeyedTable::HashKey(key, 1), 0, &value) ==
        KeyedTable::Outcome::kInserted);
  LONGS_EQUAL(4, table.size());
  CHECK(table.First() == KeyedTable::kEnd);  // no recency order kept
}

TEST(KeyedTable, EraseAtACursorRemovesThatEntry) {
  KeyedTableOptions options;
  options.capacity = 8;
  KeyedTable table(options);
  Slot* value;
  Slot key[1];
  key[0].i64 = 5;
  table.FindOrInsert(key, KeyedTable::HashKey(key, 1), 0, &value);
  const uint32_t cursor = table.CursorOf(value);
  CHECK(table.MutableValueAt(cursor) == value);
  LONGS_EQUAL(5, table.KeyAt(cursor)[0].i64);
  table.EraseAt(cursor);
  CHECK(table.Find(key, KeyedTable::HashKey(key, 1)) == nullptr);
  LONGS_EQUAL(0, table.size());
}

// Rescaling (rescale.h) goes through ForEachCursor, Import and
// SortRecencyByStamp: every live entry is seen once, imports keep values and
// stamps, and a TTL table's recency list is back in stamp order after
// imports from two tables.
TEST(KeyedTable, ImportedEntriesKeepValueAndStampAndExpireInStampOrder) {
  KeyedTable a(Options(8, OverflowPolicy::kFail, /*ttl=*/100));
  KeyedTable b(Options(8, OverflowPolicy::kFail, /*ttl=*/100));
  for (int64_t k = 0; k < 4; ++k) {
    CHECK(Put(&a, k, k * 10, /*now=*/k * 2) == Outcome::kInserted);      // stamps 0 2 4 6
    CHECK(Put(&b, 10 + k, k, /*now=*/k * 2 + 1) == Outcome::kInserted);  // 1 3 5 7
  }
  KeyedTable merged(Options(8, OverflowPolicy::kFail, /*ttl=*/100));
  for (const KeyedTable* from : {&a, &b}) {
    int seen = 0;
    from->ForEachCursor([&](uint32_t cursor) {
      uint32_t placed = 0;
      CHECK(merged.Import(from->KeyAt(cursor), HashOf(from->KeyAt(cursor)->i64),
                          from->StampAt(cursor), from->ValueAt(cursor),
                          &placed) == Outcome::kInserted);
      ++seen;
    });
    LONGS_EQUAL(4, seen);
  }
  Slot again = SlotOf(0);
  uint32_t unused = 0;
  CHECK(merged.Import(&again, HashOf(0), 0, &again, &unused) == Outcome::kFound);
  LONGS_EQUAL(8, merged.size());
  Slot key = SlotOf(2);
  LONGS_EQUAL(20, merged.Find(&key, HashOf(2))->i64);
  merged.SortRecencyByStamp();
  // At clock 104, stamps below 4 expire: keys 0 (0), 10 (1), 1 (2), 11 (3).
  LONGS_EQUAL(4, merged.Expire(104));
  int64_t expected[] = {2, 12, 3, 13};  // the rest, oldest first
  int i = 0;
  merged.ForEach([&](const Slot* k, const Slot*) { LONGS_EQUAL(expected[i++], k->i64); });
  LONGS_EQUAL(4, i);
  // A full table follows its overflow policy.
  KeyedTable small(Options(1));
  CHECK(small.Import(&key, HashOf(2), 0, &key, &unused) == Outcome::kInserted);
  CHECK(small.Import(&again, HashOf(0), 0, &again, &unused) == Outcome::kFull);
  KeyedTable dropping(Options(1, OverflowPolicy::kDropNew));
  CHECK(dropping.Import(&key, HashOf(2), 0, &key, &unused) == Outcome::kInserted);
  CHECK(dropping.Import(&again, HashOf(0), 0, &again, &unused) == Outcome::kDropped);
  LONGS_EQUAL(1, dropping.dropped());
  KeyedTable evicting(Options(1, OverflowPolicy::kEvictOldest));
  CHECK(evicting.Import(&key, HashOf(2), 0, &key, &unused) == Outcome::kInserted);
  CHECK(evicting.Import(&again, HashOf(0), 0, &again, &unused) == Outcome::kInserted);
  LONGS_EQUAL(1, evicting.evicted());
  CHECK(evicting.Find(&again, HashOf(0)) != nullptr);
  CHECK(evicting.Find(&key, HashOf(2)) == nullptr);
}

TEST(KeyedTable, ForEachCursorSeesEveryEntryWithoutTheRecencyList) {
  KeyedTableOptions options = Options(64);
  options.recency = false;
  KeyedTable table(options);
  for (int64_t k = 0; k < 40; ++k) Put(&table, k, k);
  Slot gone = SlotOf(7);
  CHECK(table.Erase(&gone, HashOf(7)));
  int64_t sum = 0;
  int count = 0;
  table.ForEachCursor([&](uint32_t cursor) {
    sum += table.KeyAt(cursor)->i64;
    ++count;
  });
  LONGS_EQUAL(39, count);
  LONGS_EQUAL(39 * 40 / 2 - 7, sum);
}
