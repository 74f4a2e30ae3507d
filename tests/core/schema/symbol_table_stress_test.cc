#include "core/schema/symbol_table.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// CppUTest redefines `new`, so it comes after the standard headers.
#include <CppUTest/TestHarness.h>

using runnel::schema::SymbolTable;

namespace {

constexpr int kThreads = 4;
constexpr uint32_t kNoId = UINT32_MAX;

// "dev-00042": every text has the same length, so a table out of bytes has
// no room left for any other one.
std::vector<std::string> MakeTexts(int count) {
  std::vector<std::string> texts;
  texts.reserve(count);
  char buffer[16];
  for (int i = 0; i < count; ++i) {
    std::snprintf(buffer, sizeof(buffer), "dev-%05d", i);
    texts.emplace_back(buffer);
  }
  return texts;
}

enum class Schedule {
  // Thread t visits the texts forward, backward, or shuffled with its own
  // seed, so threads mostly meet on different texts.
  kDifferentOrders,
  // All threads go forward and wait for each other before every text, so
  // they race to add the same text at the same moment (and some lose).
  kLockstep,
};

std::vector<int> OrderFor(int t, int count, Schedule schedule) {
  std::vector<int> order(count);
  for (int i = 0; i < count; ++i) order[i] = i;
  if (schedule == Schedule::kLockstep || t == 0) return order;
  if (t == 1) {
    std::reverse(order.begin(), order.end());
  } else {
    std::shuffle(order.begin(), order.end(), std::mt19937(1234 + t));
  }
  return order;
}

// What each thread got from Intern: ids[t][i] is the id of texts[i] in
// thread t, or kNoId when Intern returned false.
using Results = std::vector<std::vector<uint32_t>>;

// Waits until all kThreads threads have arrived `round` + 1 times in total.
void Barrier(std::atomic<int>* arrivals, int round) {
  arrivals->fetch_add(1, std::memory_order_acq_rel);
  const int all_arrived = (round + 1) * kThreads;
  for (int spins = 0; arrivals->load(std::memory_order_acquire) < all_arrived;
       ++spins) {
    if (spins > 64) std::this_thread::yield();
  }
}

// Runs kThreads threads that each Intern every text, following `schedule`,
// all released at once. The worker threads do not allocate.
Results InternFromAllThreads(SymbolTable* table,
                             const std::vector<std::string>& texts,
                             Schedule schedule) {
  const int count = static_cast<int>(texts.size());
  Results ids(kThreads, std::vector<uint32_t>(count, kNoId));
  std::vector<std::vector<int>> orders;
  for (int t = 0; t < kThreads; ++t) {
    orders.push_back(OrderFor(t, count, schedule));
  }
  std::atomic<int> arrivals{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int round = 0;
      Barrier(&arrivals, round++);
      for (int i : orders[t]) {
        if (schedule == Schedule::kLockstep) Barrier(&arrivals, round++);
        uint32_t id;
        if (table->Intern(texts[i], &id)) ids[t][i] = id;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return ids;
}

}  // namespace

TEST_GROUP(SymbolTableStress) {
  // Thread bodies and std::thread itself new and delete off the main thread.
  void setup() override {
    MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads();
  }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }

  // Every text has one id shared by all threads, ids are distinct, and the
  // table agrees through Find, Lookup and size().
  void CheckAllInternedOnce(const SymbolTable& table,
                            const std::vector<std::string>& texts,
                            const Results& ids) {
    std::vector<bool> used(table.max_symbols(), false);
    for (size_t i = 0; i < texts.size(); ++i) {
      uint32_t id = ids[0][i];
      CHECK(id != kNoId);
      for (int t = 1; t < kThreads; ++t) LONGS_EQUAL(id, ids[t][i]);
      CHECK(id < table.max_symbols());
      CHECK_FALSE(used[id]);
      used[id] = true;
      CHECK(table.Lookup(id) == texts[i]);
      uint32_t found;
      CHECK(table.Find(texts[i], &found));
      LONGS_EQUAL(id, found);
    }
    LONGS_EQUAL(texts.size(), table.size());
    // What a checkpoint sees: every id handed out is published (exactly the
    // ones in use) or wasted by a lost race, none left pending.
    for (uint32_t id = 0; id < table.reserved_ids(); ++id) {
      const SymbolTable::IdState state = table.state(id);
      CHECK(state == (used[id] ? SymbolTable::IdState::kPublished : SymbolTable::IdState::kWasted));
    }
  }

  // Racing to fill a table: the texts some thread got an id for are exactly
  // the ones the table holds, each with one id, and the table now refuses
  // every new text (all texts have the same length) while old ones resolve.
  void CheckFilledConsistently(SymbolTable* table,
                               const std::vector<std::string>& texts,
                               const Results& ids) {
    std::vector<bool> used(table->max_symbols(), false);
    uint32_t present = 0;
    uint64_t present_bytes = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      uint32_t id = kNoId;
      for (int t = 0; t < kThreads; ++t) {
        if (ids[t][i] == kNoId) continue;
        if (id == kNoId) id = ids[t][i];
        LONGS_EQUAL(id, ids[t][i]);
      }
      uint32_t found;
      if (id == kNoId) {
        CHECK_FALSE(table->Find(texts[i], &found));
        CHECK_FALSE(table->Intern(texts[i], &found));
        continue;
      }
      ++present;
      present_bytes += texts[i].size();
      CHECK(id < table->max_symbols());
      CHECK_FALSE(used[id]);
      used[id] = true;
      CHECK(table->Lookup(id) == texts[i]);
      CHECK(table->Find(texts[i], &found));
      LONGS_EQUAL(id, found);
      CHECK(table->Intern(texts[i], &found));
      LONGS_EQUAL(id, found);
    }
    CHECK(present > 0);
    CHECK(present < texts.size());
    LONGS_EQUAL(present, table->size());
    CHECK(present <= table->max_symbols());
    CHECK(present_bytes <= table->max_bytes());
    uint32_t id;
    CHECK_FALSE(table->Intern("dev-new-text", &id));
    LONGS_EQUAL(present, table->size());
  }
};

TEST(SymbolTableStress, ThreadsInDifferentOrdersAgreeOnIds) {
  const std::vector<std::string> texts = MakeTexts(5000);
  // Room for every reservation a lost race can waste.
  SymbolTable table(kThreads * 5000, kThreads * 5000 * 9);
  Results ids = InternFromAllThreads(&table, texts, Schedule::kDifferentOrders);
  CheckAllInternedOnce(table, texts, ids);
}

TEST(SymbolTableStress, ThreadsRacingOnTheSameTextAgreeOnIds) {
  const std::vector<std::string> texts = MakeTexts(5000);
  SymbolTable table(kThreads * 5000, kThreads * 5000 * 9);
  Results ids = InternFromAllThreads(&table, texts, Schedule::kLockstep);
  CheckAllInternedOnce(table, texts, ids);
}

TEST(SymbolTableStress, ReadersLookUpIdsHandedOverWhileWritersIntern) {
  constexpr int kPerWriter = 4000;
  constexpr int kWriters = kThreads / 2;
  const std::vector<std::string> texts = MakeTexts(kPerWriter + kPerWriter / 2);
  SymbolTable table(kWriters * static_cast<uint32_t>(texts.size()), 1 << 20);
  // One hand-off lane per writer: slot k holds id + 1 of the writer's k-th
  // text once published (release), 0 before; its reader polls with acquire.
  // Writer w interns texts[w * kPerWriter / 2 + k], so the writers overlap.
  std::vector<std::atomic<uint32_t>> lanes(kWriters * kPerWriter);
  for (std::atomic<uint32_t>& slot : lanes) slot.store(0);
  std::atomic<int> writer_failures{0};
  std::atomic<int> reader_mismatches{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int k = 0; k < kPerWriter; ++k) {
        uint32_t id;
        if (!table.Intern(texts[w * kPerWriter / 2 + k], &id)) {
          writer_failures.fetch_add(1, std::memory_order_relaxed);
          id = kNoId - 1;  // unblock the reader; counted as a failure
        }
        lanes[w * kPerWriter + k].store(id + 1, std::memory_order_release);
      }
    });
    threads.emplace_back([&, w] {
      for (int k = 0; k < kPerWriter; ++k) {
        uint32_t entry;
        while ((entry = lanes[w * kPerWriter + k].load(
                    std::memory_order_acquire)) == 0) {
          std::this_thread::yield();
        }
        if (entry == kNoId) continue;
        std::string_view expected = texts[w * kPerWriter / 2 + k];
        if (table.Lookup(entry - 1) != expected) {
          reader_mismatches.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  LONGS_EQUAL(0, writer_failures.load());
  LONGS_EQUAL(0, reader_mismatches.load());
  LONGS_EQUAL(texts.size(), table.size());
}

TEST(SymbolTableStress, RacingToFillTheSymbolsRefusesConsistently) {
  const std::vector<std::string> texts = MakeTexts(2000);
  SymbolTable table(64, 1 << 16);
  Results ids = InternFromAllThreads(&table, texts, Schedule::kDifferentOrders);
  CheckFilledConsistently(&table, texts, ids);
}

TEST(SymbolTableStress, RacingToFillTheBytesRefusesConsistently) {
  const std::vector<std::string> texts = MakeTexts(2000);
  SymbolTable table(4096, 64 * 9 + 5);
  Results ids = InternFromAllThreads(&table, texts, Schedule::kDifferentOrders);
  CheckFilledConsistently(&table, texts, ids);
}

TEST(SymbolTableStress, RacingToFillOnTheSameTextsRefusesConsistently) {
  const std::vector<std::string> texts = MakeTexts(2000);
  SymbolTable table(64, 1 << 16);
  Results ids = InternFromAllThreads(&table, texts, Schedule::kLockstep);
  CheckFilledConsistently(&table, texts, ids);
}
