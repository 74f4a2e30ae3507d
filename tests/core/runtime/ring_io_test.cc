#include "core/runtime/ring_io.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime/batch_ring.h"
#include "core/runtime/task.h"
#include "core/schema/row_hash.h"

// Last: CppUTest's leak detector redefines `new`.
// clang-format off
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>
// clang-format on

using runnel::Status;
using runnel::StatusCode;
using runnel::runtime::BatchRing;
using runnel::runtime::JobSignals;
using runnel::runtime::PartitionSink;
using runnel::runtime::RebalanceSink;
using runnel::runtime::RingSink;
using runnel::runtime::RingSource;
using runnel::schema::RowBatch;
using runnel::schema::Slot;

namespace {

// Rows are (key_a, seq, key_b); key_by (key_a, key_b) is fields {0, 2}.
constexpr uint32_t kWidth = 3;
constexpr uint32_t kBatchRows = 64;

// Reads `ring` until it is closed and drained; returns every row.
std::vector<std::vector<int64_t>> Drain(BatchRing* ring) {
  std::vector<std::vector<int64_t>> rows;
  while (true) {
    bool closed = false;
    const RowBatch* batch = ring->TryBeginRead(&closed);
    if (batch == nullptr) {
      if (closed) return rows;
      std::this_thread::yield();
      continue;
    }
    for (uint32_t i = 0; i < batch->size(); ++i) {
      const Slot* r = batch->row(i);
      std::vector<int64_t> row;
      for (uint32_t f = 0; f < batch->width(); ++f) row.push_back(r[f].i64);
      rows.push_back(row);
    }
    ring->EndRead();
  }
}

// Waits up to ~2 s for `flag`.
bool WaitFor(const std::atomic<bool>& flag) {
  for (int i = 0; i < 2000 && !flag.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return flag.load();
}

uint32_t ExpectedPartition(const std::vector<int64_t>& row, uint32_t partitions) {
  Slot slots[kWidth];
  for (uint32_t f = 0; f < kWidth; ++f) slots[f].i64 = row[f];
  const uint32_t keys[] = {0, 2};
  return PartitionSink::PartitionOf(runnel::schema::HashFields(slots, keys, 2), partitions);
}

}  // namespace

TEST_GROUP(RingIo) {
  // Consumer threads and std::thread itself new and delete off the main
  // thread.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }

  JobSignals signals;
  std::vector<std::unique_ptr<BatchRing>> owned;

  std::vector<BatchRing*> Rings(size_t n, uint32_t slots, uint32_t width = kWidth,
                                uint32_t batch_rows = kBatchRows) {
    std::vector<BatchRing*> rings;
    for (size_t i = 0; i < n; ++i) {
      owned.push_back(std::make_unique<BatchRing>(slots, width, batch_rows));
      rings.push_back(owned.back().get());
    }
    return rings;
  }
};

TEST(RingIo, PartitionOfIsInRangeAndUsesOnlyTheHighBits) {
  for (uint32_t n : {1u, 2u, 3u, 7u, 64u}) {
    LONGS_EQUAL(0, PartitionSink::PartitionOf(0, n));
    LONGS_EQUAL(n - 1, PartitionSink::PartitionOf(~uint64_t{0}, n));
    for (uint64_t h = 1; h < 1000; ++h) {
      uint64_t hash = h * 0x9E3779B97F4A7C15ull;
      uint32_t p = PartitionSink::PartitionOf(hash, n);
      CHECK(p < n);
      // The low bits (the ones keyed tables use) do not matter.
      LONGS_EQUAL(p, PartitionSink::PartitionOf(hash ^ 0xFFFFFFFFull, n));
    }
  }
}

TEST(RingIo, PartitionSinkRoutesEveryRowOfAKeyToTheSameRing) {
  const uint32_t kPartitions = 3;
  const int kBatches = 2000;
  std::vector<BatchRing*> rings = Rings(kPartitions, 4);
  std::vector<std::vector<std::vector<int64_t>>> got(kPartitions);
  std::vector<std::thread> consumers;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    consumers.emplace_back([&, p] { got[p] = Drain(rings[p]); });
  }
  PartitionSink sink(rings, {0, 2}, &signals);
  Status written = sink.Open();
  RowBatch batch(kWidth, kBatchRows);
  int64_t seq = 0;
  for (int b = 0; b < kBatches && written.ok(); ++b) {
    batch.Clear();
    // Vary the batch size: 1 .. 64 rows.
    const uint32_t size = static_cast<uint32_t>(b % kBatchRows) + 1;
    for (uint32_t i = 0; i < size; ++i, ++seq) {
      Slot* row = batch.Append();
      row[0].i64 = seq % 101;          // 101 x 3 = 303 keys
      row[1].i64 = seq;
      row[2].i64 = (seq / 101) % 3 - 1;
    }
    written = sink.Write(batch);
  }
  Status closed = sink.Close();
  for (std::thread& t : consumers) t.join();
  CHECK_TEXT(written.ok(), written.message().c_str());
  CHECK(closed.ok());

  std::vector<int> times(static_cast<size_t>(seq), 0);
  std::map<std::pair<int64_t, int64_t>, uint32_t> ring_of_key;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    CHECK(got[p].size() > static_cast<size_t>(seq) / 5);  // every ring gets a fair share
    int64_t last = -1;
    for (const std::vector<int64_t>& row : got[p]) {
      ++times[static_cast<size_t>(row[1])];
      CHECK(row[1] > last);  // order kept within a ring
      last = row[1];
      LONGS_EQUAL(p, ExpectedPartition(row, kPartitions));
      auto key = std::make_pair(row[0], row[2]);
      auto found = ring_of_key.emplace(key, p);
      LONGS_EQUAL(found.first->second, p);  // a key never shows up in two rings
    }
  }
  LONGS_EQUAL(303, ring_of_key.size());
  for (size_t i = 0; i < times.size(); ++i) LONGS_EQUAL_TEXT(1, times[i], std::to_string(i).c_str());
}

TEST(RingIo, PartitionSinkPublishesEachWriteAtOnce) {
  std::vector<BatchRing*> rings = Rings(3, 4);
  PartitionSink sink(rings, {0}, &signals);
  RowBatch batch(kWidth, kBatchRows);
  for (int64_t k = 0; k < 30; ++k) {
    Slot* row = batch.Append();
    row[0].i64 = k;
    row[1].i64 = k;
    row[2].i64 = 0;
  }
  CHECK(sink.Write(batch).ok());
  // Without Close, each ring that got rows holds exactly one published batch.
  uint32_t rows = 0;
  for (BatchRing* ring : rings) {
    LONGS_EQUAL(1, ring->fill());
    bool closed = true;
    const RowBatch* got = ring->TryBeginRead(&closed);
    CHECK(got != nullptr);
    CHECK_FALSE(closed);
    rows += got->size();
    ring->EndRead();
  }
  LONGS_EQUAL(30, rows);
  // Close closes every ring.
  CHECK(sink.Close().ok());
  for (BatchRing* ring : rings) {
    bool closed = false;
    CHECK(ring->TryBeginRead(&closed) == nullptr);
    CHECK(closed);
  }
}

// key_by an f64 field: -0.0 == 0.0, so both must reach the same instance
// (core/schema/row_hash.h: callers normalize -0.0 before hashing).
TEST(RingIo, PartitionSinkSendsNegativeZeroWhereZeroGoes) {
  const uint32_t kPartitions = 64;
  std::vector<BatchRing*> rings = Rings(kPartitions, 2, 1);
  PartitionSink sink(rings, {0}, &signals);
  RowBatch batch(1, kBatchRows);
  batch.Append()->f64 = 0.0;
  batch.Append()->f64 = -0.0;
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Close().ok());
  int rings_with_rows = 0;
  for (BatchRing* ring : rings) rings_with_rows += ring->fill() > 0;
  LONGS_EQUAL(1, rings_with_rows);
}

TEST(RingIo, PartitionSinkWithOneRingTakesEverything) {
  std::vector<BatchRing*> rings = Rings(1, 2);
  PartitionSink sink(rings, {0, 2}, &signals);
  RowBatch batch(kWidth, kBatchRows);
  for (int64_t k = 0; k < kBatchRows; ++k) {
    Slot* row = batch.Append();
    row[0].i64 = k * 7919;
    row[1].i64 = k;
    row[2].i64 = -k;
  }
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Close().ok());
  std::vector<std::vector<int64_t>> got = Drain(rings[0]);
  LONGS_EQUAL(kBatchRows, got.size());
  for (size_t i = 0; i < got.size(); ++i) LONGS_EQUAL(i, got[i][1]);
}

TEST(RingIo, RingSinkForwardsWholeBatchesInOrder) {
  std::vector<BatchRing*> rings = Rings(1, 2);
  std::vector<std::vector<int64_t>> got;
  std::thread consumer([&] { got = Drain(rings[0]); });
  RingSink sink(rings[0], &signals);
  Status written = sink.Open();
  RowBatch batch(kWidth, kBatchRows);
  int64_t seq = 0;
  for (int b = 0; b < 500 && written.ok(); ++b) {
    batch.Clear();
    for (uint32_t i = 0; i <= static_cast<uint32_t>(b) % kBatchRows; ++i, ++seq) {
      Slot* row = batch.Append();
      row[0].i64 = b;
      row[1].i64 = seq;
      row[2].i64 = -seq;
    }
    written = sink.Write(batch);
  }
  Status closed = sink.Close();
  consumer.join();
  CHECK(written.ok());
  CHECK(closed.ok());
  LONGS_EQUAL(seq, got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    LONGS_EQUAL(i, got[i][1]);
    LONGS_EQUAL(-static_cast<int64_t>(i), got[i][2]);
  }
}

TEST(RingIo, RebalanceSinkSpreadsBatchesRoundRobin) {
  std::vector<BatchRing*> rings = Rings(3, 8);
  RebalanceSink sink(rings, &signals);
  CHECK(sink.Open().ok());
  RowBatch batch(kWidth, kBatchRows);
  for (int64_t b = 0; b < 8; ++b) {
    batch.Clear();
    for (int64_t i = 0; i <= b; ++i) {  // batch b has b + 1 rows
      Slot* row = batch.Append();
      row[0].i64 = b;
      row[1].i64 = i;
      row[2].i64 = 0;
    }
    CHECK(sink.Write(batch).ok());
  }
  CHECK(sink.Close().ok());
  for (uint32_t r = 0; r < 3; ++r) {
    int64_t expected_batch = r;
    while (true) {
      bool closed = false;
      const RowBatch* got = rings[r]->TryBeginRead(&closed);
      if (got == nullptr) {
        CHECK(closed);
        break;
      }
      // Batches arrive whole: batch b as one ring batch of b + 1 rows.
      LONGS_EQUAL(expected_batch + 1, got->size());
      for (uint32_t i = 0; i < got->size(); ++i) {
        LONGS_EQUAL(expected_batch, got->row(i)[0].i64);
        LONGS_EQUAL(i, got->row(i)[1].i64);
      }
      rings[r]->EndRead();
      expected_batch += 3;
    }
    // Ring 0 got batches 0, 3, 6; ring 1 got 1, 4, 7; ring 2 got 2, 5.
    LONGS_EQUAL(r == 2 ? 8 : 9 + r, expected_batch);
  }
}

TEST(RingIo, RingSourceMergesSeveralProducerThreads) {
  const int kProducers = 4;
  const int64_t kRowsEach = 50000;
  std::vector<BatchRing*> rings = Rings(kProducers, 4);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      RingSink sink(rings[static_cast<size_t>(p)], &signals);
      RowBatch batch(kWidth, kBatchRows);
      int64_t seq = 0;
      uint32_t size = static_cast<uint32_t>(p);
      while (seq < kRowsEach) {
        batch.Clear();
        size = size % kBatchRows + 1;
        for (uint32_t i = 0; i < size && seq < kRowsEach; ++i, ++seq) {
          Slot* row = batch.Append();
          row[0].i64 = p;
          row[1].i64 = seq;
          row[2].i64 = p * 1000000 + seq;
        }
        if (!sink.Write(batch).ok()) return;
      }
      (void)sink.Close();
    });
  }
  RingSource source(rings, &signals);
  Status status = source.Open();
  RowBatch out(kWidth, kBatchRows);
  std::vector<int64_t> next(kProducers, 0);
  int64_t total = 0;
  int64_t out_of_order = 0;
  bool done = false;
  bool rows_with_done = false;
  while (!done && status.ok()) {
    out.Clear();
    status = source.Read(&out, &done);
    rows_with_done |= done && !out.empty();
    for (uint32_t i = 0; i < out.size(); ++i) {
      const Slot* row = out.row(i);
      size_t p = static_cast<size_t>(row[0].i64);
      // Each producer's rows arrive once each and in order.
      if (p >= next.size() || row[1].i64 != next[p] ||
          row[2].i64 != row[0].i64 * 1000000 + row[1].i64) {
        ++out_of_order;
        continue;
      }
      ++next[p];
      ++total;
    }
  }
  if (!status.ok()) signals.cancel = true;  // release the producers before failing
  for (std::thread& t : producers) t.join();
  CHECK_TEXT(status.ok(), status.message().c_str());
  CHECK_FALSE(rows_with_done);
  LONGS_EQUAL(0, out_of_order);
  CHECK(total == kProducers * kRowsEach);
  for (int p = 0; p < kProducers; ++p) CHECK(next[static_cast<size_t>(p)] == kRowsEach);
  // Done stays done.
  out.Clear();
  done = false;
  CHECK(source.Read(&out, &done).ok());
  CHECK(done);
  LONGS_EQUAL(0, out.size());
}

TEST(RingIo, RingSourceIsDoneOnlyWhenEveryRingIsClosedAndDrained) {
  std::vector<BatchRing*> rings = Rings(2, 2);
  rings[0]->Close();  // closed and empty
  RingSource source(rings, &signals);
  RowBatch out(kWidth, kBatchRows);
  std::atomic<bool> finished{false};
  bool done = true;
  Status status;
  // Reads until there are rows, done or an error. (Read may come back
  // empty-handed now and then so the task can fire timers; that is not done.)
  std::thread reader([&] {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    do {
      out.Clear();
      status = source.Read(&out, &done);
    } while (status.ok() && !done && out.empty() && std::chrono::steady_clock::now() < give_up);
    finished = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const bool finished_early = finished.load();  // ring 1 is still open: must not be

  RowBatch* b = rings[1]->BeginWrite(signals.cancel);
  Slot* row = b->Append();
  row[0].i64 = 1;
  row[1].i64 = 2;
  row[2].i64 = 3;
  rings[1]->EndWrite();
  const bool finished_in_time = WaitFor(finished);
  if (!finished_in_time) signals.cancel = true;  // release it before failing
  reader.join();
  CHECK_FALSE(finished_early);
  CHECK(finished_in_time);
  CHECK(status.ok());
  CHECK_FALSE(done);
  LONGS_EQUAL(1, out.size());
  LONGS_EQUAL(2, out.row(0)[1].i64);

  // Published, then closed: the batch comes first, then done.
  b = rings[1]->BeginWrite(signals.cancel);
  b->Append()[1].i64 = 9;
  rings[1]->EndWrite();
  rings[1]->Close();
  out.Clear();
  CHECK(source.Read(&out, &done).ok());
  CHECK_FALSE(done);
  LONGS_EQUAL(1, out.size());
  LONGS_EQUAL(9, out.row(0)[1].i64);
  out.Clear();
  CHECK(source.Read(&out, &done).ok());
  CHECK(done);
  LONGS_EQUAL(0, out.size());
}

TEST(RingIo, RingSourceTakesTurnsBetweenRings) {
  std::vector<BatchRing*> rings = Rings(3, 4);
  for (int64_t b = 0; b < 3; ++b) {
    for (int64_t r = 0; r < 3; ++r) {
      RowBatch* batch = rings[static_cast<size_t>(r)]->BeginWrite(signals.cancel);
      Slot* row = batch->Append();
      row[0].i64 = r;
      row[1].i64 = b;
      rings[static_cast<size_t>(r)]->EndWrite();
    }
  }
  for (BatchRing* ring : rings) ring->Close();
  RingSource source(rings, &signals);
  RowBatch out(kWidth, kBatchRows);
  // No ring starves the others: one batch from each in turn.
  for (int64_t i = 0; i < 9; ++i) {
    out.Clear();
    bool done = true;
    CHECK(source.Read(&out, &done).ok());
    CHECK_FALSE(done);
    LONGS_EQUAL(1, out.size());
    LONGS_EQUAL(i % 3, out.row(0)[0].i64);
    LONGS_EQUAL(i / 3, out.row(0)[1].i64);
  }
  out.Clear();
  bool done = false;
  CHECK(source.Read(&out, &done).ok());
  CHECK(done);
}

TEST(RingIo, RingSourceWithoutRingsIsDone) {
  RingSource source({}, &signals);
  RowBatch out(kWidth, kBatchRows);
  bool done = false;
  CHECK(source.Read(&out, &done).ok());
  CHECK(done);
}

TEST(RingIo, RingSourceWaitingForRowsStopsWhenCancelled) {
  std::vector<BatchRing*> rings = Rings(2, 2);
  RingSource source(rings, &signals);
  RowBatch out(kWidth, kBatchRows);
  std::atomic<bool> finished{false};
  bool done = false;
  Status status;
  std::thread reader([&] {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    do {
      out.Clear();
      status = source.Read(&out, &done);
    } while (status.ok() && !done && out.empty() && std::chrono::steady_clock::now() < give_up);
    finished = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool finished_early = finished.load();
  signals.cancel = true;
  const bool finished_in_time = WaitFor(finished);
  reader.join();
  CHECK_FALSE(finished_early);
  CHECK(finished_in_time);
  CHECK(status.code() == StatusCode::kCancelled);
  CHECK_FALSE(done);
  LONGS_EQUAL(0, out.size());
}

TEST(RingIo, CancelReleasesABlockedRingSink) {
  std::vector<BatchRing*> rings = Rings(1, 1);
  RingSink sink(rings[0], &signals);
  RowBatch batch(kWidth, kBatchRows);
  batch.Append()[0].i64 = 1;
  CHECK(sink.Write(batch).ok());  // the ring is now full; nobody reads
  std::atomic<bool> returned{false};
  Status status;
  std::thread writer([&] {
    status = sink.Write(batch);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool returned_early = returned.load();  // backpressure: the writer waits
  signals.cancel = true;
  const bool returned_in_time = WaitFor(returned);
  writer.join();
  CHECK_FALSE(returned_early);
  CHECK(returned_in_time);
  CHECK(status.code() == StatusCode::kCancelled);
  CHECK(sink.Close().ok());
}

TEST(RingIo, CancelReleasesABlockedPartitionSink) {
  std::vector<BatchRing*> rings = Rings(2, 1);
  PartitionSink sink(rings, {0}, &signals);
  RowBatch batch(kWidth, kBatchRows);
  for (int64_t k = 0; k < 40; ++k) batch.Append()[0].i64 = k;  // reaches both rings
  CHECK(sink.Write(batch).ok());
  LONGS_EQUAL(1, rings[0]->fill());
  LONGS_EQUAL(1, rings[1]->fill());
  std::atomic<bool> returned{false};
  Status status;
  std::thread writer([&] {
    status = sink.Write(batch);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool returned_early = returned.load();
  signals.cancel = true;
  const bool returned_in_time = WaitFor(returned);
  writer.join();
  CHECK_FALSE(returned_early);
  CHECK(returned_in_time);
  CHECK(status.code() == StatusCode::kCancelled);
  CHECK(sink.Close().ok());
}

TEST(RingIo, CancelReleasesABlockedRebalanceSink) {
  std::vector<BatchRing*> rings = Rings(2, 1);
  RebalanceSink sink(rings, &signals);
  RowBatch batch(kWidth, kBatchRows);
  batch.Append()[0].i64 = 1;
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Write(batch).ok());  // both rings full now
  std::atomic<bool> returned{false};
  Status status;
  std::thread writer([&] {
    status = sink.Write(batch);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool returned_early = returned.load();
  signals.cancel = true;
  const bool returned_in_time = WaitFor(returned);
  writer.join();
  CHECK_FALSE(returned_early);
  CHECK(returned_in_time);
  CHECK(status.code() == StatusCode::kCancelled);
  CHECK(sink.Close().ok());
}

// Checkpoint barriers (Flink's aligned checkpoints): rows a ring sends after
// its barrier wait until every other open ring has sent the barrier too;
// the barrier then comes as an empty batch after every row before it on
// every ring, and a closed ring counts as aligned.
TEST(RingIo, RingSourceAlignsBarriersAcrossRings) {
  std::vector<BatchRing*> rings = Rings(3, 8);
  RingSink first(rings[0], &signals);
  RingSink second(rings[1], &signals);
  const auto write = [&](RingSink* sink, int64_t seq) {
    RowBatch batch(kWidth, kBatchRows);
    batch.Append()[1].i64 = seq;
    CHECK(sink->Write(batch).ok());
  };
  write(&first, 1);
  CHECK(first.Barrier(7).ok());
  write(&first, 2);  // after the barrier: held back
  write(&second, 10);
  rings[2]->Close();  // an input that has ended
  RingSource source(rings, &signals);
  std::vector<int64_t> seen;
  uint64_t barrier = 0;
  size_t barrier_at = 0;
  RowBatch out(kWidth, kBatchRows);
  bool done = false;
  // Until rows 1 and 10 are in; the barrier must not come yet (ring 1 has
  // not sent it), nor row 2.
  for (int i = 0; i < 20 && seen.size() < 2; ++i) {
    out.Clear();
    CHECK(source.Read(&out, &done).ok());
    for (uint32_t r = 0; r < out.size(); ++r) seen.push_back(out.row(r)[1].i64);
    CHECK_EQUAL(0u, out.barrier());
  }
  out.Clear();
  CHECK(source.Read(&out, &done).ok());  // idle: ring 0 blocked, ring 1 empty
  CHECK(out.empty());
  CHECK_EQUAL(0u, out.barrier());
  CHECK(second.Barrier(7).ok());
  write(&second, 11);
  for (int i = 0; i < 20 && seen.size() < 4; ++i) {
    out.Clear();
    CHECK(source.Read(&out, &done).ok());
    if (out.barrier() != 0) {
      CHECK(out.empty());
      barrier = out.barrier();
      barrier_at = seen.size();
    }
    for (uint32_t r = 0; r < out.size(); ++r) seen.push_back(out.row(r)[1].i64);
  }
  CHECK_EQUAL(7u, barrier);
  LONGS_EQUAL(2, barrier_at);  // after rows 1 and 10, before 2 and 11
  LONGS_EQUAL(4, seen.size());
  CHECK((seen[0] == 1 && seen[1] == 10) || (seen[0] == 10 && seen[1] == 1));
  CHECK((seen[2] == 2 && seen[3] == 11) || (seen[2] == 11 && seen[3] == 2));
}
