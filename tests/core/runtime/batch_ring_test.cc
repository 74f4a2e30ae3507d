#include "core/runtime/batch_ring.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::runtime::BatchRing;
using runnel::schema::RowBatch;

namespace {

// Consumes everything from `ring`, checking the values are 0, 1, 2, ...
// Returns how many rows arrived in order (stops at the first out of order).
uint64_t ConsumeSequence(BatchRing* ring, int sleep_every = 0) {
  uint64_t expected = 0;
  uint64_t batches = 0;
  while (true) {
    bool closed = false;
    const RowBatch* batch = ring->TryBeginRead(&closed);
    if (batch == nullptr) {
      if (closed) return expected;
      std::this_thread::yield();
      continue;
    }
    for (uint32_t i = 0; i < batch->size(); ++i) {
      if (batch->row(i)[0].i64 != static_cast<int64_t>(expected)) return expected;
      ++expected;
    }
    ring->EndRead();
    if (sleep_every > 0 && ++batches % sleep_every == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

// Publishes `rows` sequence numbers in batches of varying size, then closes.
void ProduceSequence(BatchRing* ring, uint64_t rows, const std::atomic<bool>& cancel) {
  uint64_t next = 0;
  uint32_t size = 1;
  while (next < rows) {
    RowBatch* batch = ring->BeginWrite(cancel);
    if (batch == nullptr) return;
    size = size % batch->capacity() + 1;  // 1, 2, ..., capacity, 1, ...
    for (uint32_t i = 0; i < size && next < rows; ++i) batch->Append()[0].i64 = next++;
    ring->EndWrite();
  }
  ring->Close();
}

}  // namespace

TEST_GROUP(BatchRing) {
  std::atomic<bool> cancel{false};
};

TEST(BatchRing, SlotsRoundUpToAPowerOfTwo) {
  BatchRing ring(5, 1, 4);
  LONGS_EQUAL(8, ring.slots());
  CHECK(ring.footprint_bytes() > 8 * 4 * sizeof(runnel::schema::Slot));
}

TEST(BatchRing, DeliversInOrderAndReportsClosedWhenDrained) {
  BatchRing ring(2, 1, 4);
  RowBatch* b = ring.BeginWrite(cancel);
  b->Append()[0].i64 = 7;
  ring.EndWrite();
  ring.Close();
  LONGS_EQUAL(1, ring.fill());
  bool closed = true;
  const RowBatch* got = ring.TryBeginRead(&closed);
  CHECK(got != nullptr);
  CHECK_FALSE(closed);
  LONGS_EQUAL(7, got->row(0)[0].i64);
  ring.EndRead();
  CHECK(ring.TryBeginRead(&closed) == nullptr);
  CHECK(closed);
}

TEST(BatchRing, EmptyOpenRingIsNotClosed) {
  BatchRing ring(2, 1, 4);
  bool closed = true;
  CHECK(ring.TryBeginRead(&closed) == nullptr);
  CHECK_FALSE(closed);
}

TEST(BatchRing, StressTwoThreadsMillionRows) {
  BatchRing ring(8, 1, 64);
  const uint64_t kRows = 1'000'000;
  std::thread producer([&] { ProduceSequence(&ring, kRows, cancel); });
  uint64_t received = ConsumeSequence(&ring);
  producer.join();
  CHECK(received == kRows);
}

TEST(BatchRing, SlowConsumerBlocksProducerAndNothingIsLost) {
  BatchRing ring(2, 1, 16);
  const uint64_t kRows = 20'000;
  std::thread producer([&] { ProduceSequence(&ring, kRows, cancel); });
  uint64_t received = ConsumeSequence(&ring, /*sleep_every=*/10);
  producer.join();
  CHECK(received == kRows);
  CHECK(ring.full_waits() > 0);  // the producer did wait
}

TEST(BatchRing, CancelReleasesABlockedProducer) {
  BatchRing ring(1, 1, 4);
  ring.BeginWrite(cancel);
  ring.EndWrite();  // now full; nobody reads
  std::atomic<bool> returned_null{false};
  std::thread producer([&] { returned_null = ring.BeginWrite(cancel) == nullptr; });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cancel = true;
  producer.join();
  CHECK(returned_null);
}
