// Event time across rings: watermarks merge by minimum, ended and idle
// inputs stop holding time back, and writers broadcast newer watermarks.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/batch_ring.h"
#include "core/runtime/ring_io.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::runtime::BatchRing;
using runnel::runtime::JobSignals;
using runnel::runtime::PartitionSink;
using runnel::runtime::RingSource;
using runnel::schema::RowBatch;

namespace {

constexpr uint32_t kWidth = 2;  // one field + the hidden watermark slot
constexpr int kWatermarkSlot = 1;

// Publishes one batch on `ring`: rows with the given watermark slots, and
// the batch watermark `after`.
void Publish(BatchRing* ring, const std::vector<int64_t>& row_watermarks, int64_t after) {
  std::atomic<bool> never{false};
  RowBatch* batch = ring->BeginWrite(never);
  for (int64_t w : row_watermarks) {
    auto* row = batch->Append();
    row[0].i64 = 7;
    row[kWatermarkSlot].i64 = w;
  }
  batch->set_watermark(after);
  ring->EndWrite();
}

}  // namespace

TEST_GROUP(RingWatermarks) {
  JobSignals signals;
  ManualClock clock{1000};
  // On the heap: BatchRing is cache-line aligned, and CppUTest allocates
  // the group with plain new.
  std::unique_ptr<BatchRing> ring_a = std::make_unique<BatchRing>(4, kWidth, 8);
  std::unique_ptr<BatchRing> ring_b = std::make_unique<BatchRing>(4, kWidth, 8);
  BatchRing& a = *ring_a;
  BatchRing& b = *ring_b;
  RowBatch out{kWidth, 8};

  // Reads one batch into `out` (rows or watermark only).
  void ReadOne(RingSource* source) {
    out.Clear();
    bool done = false;
    CHECK(source->Read(&out, &done).ok());
    CHECK_FALSE(done);
  }
};

TEST(RingWatermarks, OneRingPassesWatermarksThroughUnchanged) {
  RingSource source({&a}, &signals, kWatermarkSlot, 0, &clock);
  Publish(&a, {10, 20}, 30);
  ReadOne(&source);
  LONGS_EQUAL(10, out.row(0)[kWatermarkSlot].i64);
  LONGS_EQUAL(20, out.row(1)[kWatermarkSlot].i64);
  LONGS_EQUAL(30, out.watermark());
}

TEST(RingWatermarks, SeveralRingsTakeTheMinimumPerRowAndPerBatch) {
  RingSource source({&a, &b}, &signals, kWatermarkSlot, 0, &clock);
  Publish(&a, {100}, 200);
  ReadOne(&source);
  // b has said nothing yet: time is held back.
  CHECK(out.row(0)[kWatermarkSlot].i64 < 100);
  CHECK(out.watermark() < 100);
  Publish(&b, {50}, 60);
  ReadOne(&source);
  LONGS_EQUAL(50, out.row(0)[kWatermarkSlot].i64);  // min(200, 50)
  LONGS_EQUAL(60, out.watermark());                 // min(200, 60)
}

TEST(RingWatermarks, AnEndedInputNoLongerHoldsTimeBack) {
  RingSource source({&a, &b}, &signals, kWatermarkSlot, 0, &clock);
  Publish(&b, {}, 5);
  b.Close();
  ReadOne(&source);
  Publish(&a, {100}, 200);
  ReadOne(&source);
  // Once b is known to have ended, only a counts.
  while (out.watermark() != 200) ReadOne(&source);
  LONGS_EQUAL(200, out.watermark());
}

TEST(RingWatermarks, AnIdleInputStopsHoldingTimeBackAfterTheTimeout) {
  RingSource source({&a, &b}, &signals, kWatermarkSlot, /*idle_timeout_ms=*/500, &clock);
  Publish(&b, {}, 10);
  ReadOne(&source);
  Publish(&a, {100}, 200);
  ReadOne(&source);
  LONGS_EQUAL(10, out.watermark());  // b is not idle yet
  clock.Advance(600);                // b has been silent for 600 ms
  Publish(&a, {300}, 400);
  ReadOne(&source);
  LONGS_EQUAL(400, out.watermark());
  // b speaks again: it counts again.
  Publish(&b, {}, 20);
  ReadOne(&source);
  LONGS_EQUAL(20, out.watermark());
}

TEST(RingWatermarks, AllIdleInputsStillTakeTheMinimum) {
  RingSource source({&a, &b}, &signals, kWatermarkSlot, /*idle_timeout_ms=*/500, &clock);
  Publish(&a, {}, 100);
  ReadOne(&source);
  Publish(&b, {}, 50);
  ReadOne(&source);
  clock.Advance(10000);
  Publish(&a, {}, 150);
  ReadOne(&source);
  // a just delivered, so it is active; b is idle: a's watermark alone.
  LONGS_EQUAL(150, out.watermark());
}

TEST(RingWatermarks, PartitionSinkBroadcastsANewerWatermarkToEveryRing) {
  PartitionSink sink({&a, &b}, {0}, &signals);
  RowBatch batch(kWidth, 8);
  auto* row = batch.Append();
  row[0].i64 = 7;  // one key: its rows go to one ring only
  row[kWatermarkSlot].i64 = 1;
  batch.set_watermark(99);
  CHECK(sink.Write(batch).ok());
  LONGS_EQUAL(1, a.fill());
  LONGS_EQUAL(1, b.fill());
  bool closed = false;
  const RowBatch* got_a = a.TryBeginRead(&closed);
  const RowBatch* got_b = b.TryBeginRead(&closed);
  LONGS_EQUAL(99, got_a->watermark());
  LONGS_EQUAL(99, got_b->watermark());
  LONGS_EQUAL(1, got_a->size() + got_b->size());
  a.EndRead();
  b.EndRead();
  // The same watermark again is not re-sent to a ring without rows.
  CHECK(sink.Write(batch).ok());
  LONGS_EQUAL(1, a.fill() + b.fill());
}
