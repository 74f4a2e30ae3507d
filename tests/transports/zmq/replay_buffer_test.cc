// ReplayBuffer: entries come back oldest first, whole, across many wraps of
// the ring (checked against a plain deque); a full buffer refuses until the
// oldest are released; a checkpoint's records restore the same entries
// under the same numbers, and malformed ones are refused.
#include "transports/zmq/replay_buffer.h"

#include <deque>
#include <random>
#include <string>
#include <vector>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::zmq::ReplayBuffer;

namespace {

struct Kept {
  uint64_t number;
  uint64_t first_row;
  uint32_t rows;
  std::string message;
};

std::vector<Kept> Contents(const ReplayBuffer& buffer) {
  std::vector<Kept> out;
  buffer.ForEach([&](const ReplayBuffer::Entry& e) {
    out.push_back({e.number, e.first_row, e.rows, std::string(e.message)});
    return true;
  });
  return out;
}

std::string Message(uint64_t first_row, size_t size) {
  std::string m(size, ' ');
  for (size_t i = 0; i < size; ++i) m[i] = static_cast<char>('a' + (first_row + i) % 26);
  return m;
}

}  // namespace

TEST_GROUP(ReplayBuffer){};

TEST(ReplayBuffer, ReleasesOnlyBatchesWhoseRowsAreAllAcknowledged) {
  ReplayBuffer buffer(4096);
  CHECK(buffer.Append(1, 10, Message(1, 100)));
  CHECK(buffer.Append(11, 5, Message(11, 200)));
  CHECK(buffer.Append(16, 1, Message(16, 50)));
  buffer.Release(12);  // rows 11..15 are not all acknowledged
  std::vector<Kept> kept = Contents(buffer);
  LONGS_EQUAL(2, kept.size());
  UNSIGNED_LONGLONGS_EQUAL(2, kept[0].number);
  UNSIGNED_LONGLONGS_EQUAL(11, kept[0].first_row);
  STRCMP_EQUAL(Message(11, 200).c_str(), kept[0].message.c_str());
  buffer.Release(16);
  CHECK(buffer.empty());
  UNSIGNED_LONGLONGS_EQUAL(4, buffer.next_number());
}

TEST(ReplayBuffer, AFullBufferRefusesUntilTheOldestAreReleased) {
  ReplayBuffer buffer(1024);
  uint64_t row = 1;
  while (buffer.Append(row, 1, Message(row, 150))) ++row;
  const uint64_t held = buffer.entries();
  CHECK(held >= 5);
  CHECK_FALSE(buffer.Append(row, 1, Message(row, 150)));
  CHECK_FALSE(buffer.Fits(2000));
  buffer.Release(1);
  CHECK(buffer.Append(row, 1, Message(row, 150)));
  UNSIGNED_LONGLONGS_EQUAL(held, buffer.entries());
}

TEST(ReplayBuffer, EntriesSurviveManyWrapsOfTheRing) {
  ReplayBuffer buffer(8192);
  std::deque<Kept> model;
  std::mt19937 random(3);
  uint64_t next_row = 1;
  uint64_t number = 1;
  for (int step = 0; step < 20000; ++step) {
    if (random() % 3 != 0) {
      const size_t size = 1 + random() % 900;
      const uint32_t rows = 1 + random() % 20;
      if (buffer.Append(next_row, rows, Message(next_row, size))) {
        model.push_back({number++, next_row, rows, Message(next_row, size)});
        next_row += rows;
      } else {
        CHECK(!model.empty());  // refused only when something is kept
      }
    } else if (!model.empty()) {
      // Acknowledge up to a row inside a random kept batch.
      const Kept& upto = model[random() % model.size()];
      const uint64_t row = upto.first_row + random() % upto.rows;
      buffer.Release(row);
      while (!model.empty() && model.front().first_row + model.front().rows - 1 <= row) {
        model.pop_front();
      }
    }
    if (step % 97 == 0) {
      std::vector<Kept> kept = Contents(buffer);
      LONGS_EQUAL(model.size(), kept.size());
      for (size_t i = 0; i < kept.size(); ++i) {
        UNSIGNED_LONGLONGS_EQUAL(model[i].number, kept[i].number);
        UNSIGNED_LONGLONGS_EQUAL(model[i].first_row, kept[i].first_row);
        CHECK(model[i].message == kept[i].message);
      }
    }
  }
  CHECK(number > 1000);  // it wrapped many times
}

TEST(ReplayBuffer, RecordsRestoreTheSameEntries) {
  ReplayBuffer buffer(4096);
  for (uint64_t row = 1; row <= 40; row += 4) buffer.Append(row, 4, Message(row, 60 + row));
  buffer.Release(8);  // entries 1 and 2 go
  ReplayBuffer restored(4096);
  buffer.ForEach([&](const ReplayBuffer::Entry& e) {
    CHECK(restored.Restore(e.number, e.record));
    return true;
  });
  std::vector<Kept> a = Contents(buffer);
  std::vector<Kept> b = Contents(restored);
  LONGS_EQUAL(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    UNSIGNED_LONGLONGS_EQUAL(a[i].number, b[i].number);
    UNSIGNED_LONGLONGS_EQUAL(a[i].first_row, b[i].first_row);
    CHECK(a[i].message == b[i].message);
  }
  UNSIGNED_LONGLONGS_EQUAL(buffer.next_number(), restored.next_number());
  UNSIGNED_LONGLONGS_EQUAL(3, restored.oldest_number());

  std::string record;
  buffer.ForEach([&](const ReplayBuffer::Entry& e) {
    record = std::string(e.record);
    return false;
  });
  ReplayBuffer fresh(4096);
  CHECK_FALSE(fresh.Restore(5, record.substr(0, 10)));                 // truncated
  CHECK_FALSE(fresh.Restore(5, record + "x"));                        // size disagrees
  CHECK(fresh.Restore(5, record));
  CHECK_FALSE(fresh.Restore(4, record));                              // out of order
}
