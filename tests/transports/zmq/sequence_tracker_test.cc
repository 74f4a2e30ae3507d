// SequenceTracker: gaps, duplicates, epochs, closing, dead producers and
// the receiver's watermark.
#include "transports/zmq/sequence_tracker.h"

#include <climits>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::zmq::SequenceTracker;
using Verdict = SequenceTracker::Verdict;

TEST_GROUP(SequenceTracker){};

TEST(SequenceTracker, InOrderGapAndDuplicate) {
  SequenceTracker t(4);
  CHECK(t.OnBatch(1, 7, 1, 1, 0).kind == Verdict::kInOrder);
  CHECK(t.OnBatch(1, 7, 1, 2, 0).kind == Verdict::kInOrder);
  Verdict gap = t.OnBatch(1, 7, 1, 5, 0);
  CHECK(gap.kind == Verdict::kGap);
  UNSIGNED_LONGLONGS_EQUAL(2, gap.lost);
  CHECK(t.OnBatch(1, 7, 1, 5, 0).kind == Verdict::kDuplicate);
  CHECK(t.OnBatch(1, 7, 1, 3, 0).kind == Verdict::kDuplicate);
  // Another channel of the same producer is its own sequence.
  CHECK(t.OnBatch(1, 8, 1, 1, 0).kind == Verdict::kInOrder);
}

TEST(SequenceTracker, FirstBatchPastOneIsAGap) {
  SequenceTracker t(4);
  Verdict v = t.OnBatch(1, 7, 1, 4, 0);
  CHECK(v.kind == Verdict::kGap);
  UNSIGNED_LONGLONGS_EQUAL(3, v.lost);
}

TEST(SequenceTracker, NewEpochStartsOver) {
  SequenceTracker t(4);
  CHECK(t.OnBatch(1, 7, 1, 1, 0).kind == Verdict::kInOrder);
  CHECK(t.OnBatch(1, 7, 1, 2, 0).kind == Verdict::kInOrder);
  CHECK(t.OnBatch(1, 7, 2, 1, 0).kind == Verdict::kInOrder);
  UNSIGNED_LONGS_EQUAL(1, t.live());
}

TEST(SequenceTracker, HeartbeatRevealsLostTail) {
  SequenceTracker t(4);
  t.OnBatch(1, 7, 1, 1, 0);
  Verdict v = t.OnHeartbeat(1, 7, 1, 3, 100, false, 0);
  CHECK(v.kind == Verdict::kGap);
  UNSIGNED_LONGLONGS_EQUAL(2, v.lost);
  CHECK(t.OnHeartbeat(1, 7, 1, 3, 100, false, 0).kind == Verdict::kInOrder);
}

TEST(SequenceTracker, WatermarkIsMinOverLiveAndMonotonic) {
  SequenceTracker t(4);
  Verdict a = t.OnBatch(1, 7, 1, 1, 0);
  Verdict b = t.OnBatch(2, 7, 1, 1, 0);
  LONGLONGS_EQUAL(INT64_MIN, t.Watermark());
  t.SetWatermark(a.track, 100);
  LONGLONGS_EQUAL(INT64_MIN, t.Watermark());  // b has none yet
  t.SetWatermark(b.track, 50);
  LONGLONGS_EQUAL(50, t.Watermark());
  // b goes silent: dead after the timeout, no longer holds time back.
  t.OnBatch(1, 7, 1, 2, 1000);
  UNSIGNED_LONGS_EQUAL(1, t.ExpireSilent(1000, 500));
  LONGLONGS_EQUAL(100, t.Watermark());
  // b is back with an older watermark: the watermark does not go back.
  t.OnBatch(2, 7, 1, 2, 1100);
  LONGLONGS_EQUAL(100, t.Watermark());
}

TEST(SequenceTracker, ClosingCounts) {
  SequenceTracker t(4);
  t.OnBatch(1, 7, 1, 1, 0);
  t.OnHeartbeat(1, 7, 1, 1, 10, true, 0);
  t.OnHeartbeat(1, 7, 1, 1, 10, true, 0);
  UNSIGNED_LONGS_EQUAL(1, t.closed());
  UNSIGNED_LONGS_EQUAL(0, t.live());
}

TEST(SequenceTracker, FullTableForgetsLeastRecent) {
  SequenceTracker t(2);
  t.OnBatch(1, 7, 1, 1, 10);
  t.OnBatch(2, 7, 1, 1, 20);
  t.OnBatch(3, 7, 1, 1, 30);  // replaces producer 1
  // Producer 1 comes back: a new entry, its batch 2 seen as a gap of 1.
  Verdict v = t.OnBatch(1, 7, 1, 2, 40);
  CHECK(v.kind == Verdict::kGap);
}

// Exactly-once links: row positions per (producer, channel).

namespace {

// OnRows, then (in order) every row delivered, as the source does.
Verdict Rows(SequenceTracker* t, uint64_t producer, uint64_t first, uint32_t count) {
  Verdict v = t->OnRows(producer, 7, first, count, 0);
  if (v.kind == Verdict::kInOrder) t->Delivered(v.track, first + count - 1);
  return v;
}

}  // namespace

TEST(SequenceTracker, RowsOverlappingWhatWasDeliveredAreSkipped) {
  SequenceTracker t(4);
  Verdict v = Rows(&t, 1, 1, 10);
  CHECK(v.kind == Verdict::kInOrder);
  UNSIGNED_LONGS_EQUAL(0, v.skip);
  // Rows 11..15 accepted but only 11..12 handed on: the position is 12.
  v = t.OnRows(1, 7, 11, 5, 0);
  t.Delivered(v.track, 12);
  UNSIGNED_LONGLONGS_EQUAL(13, t.next_row(v.track));
  // A resent batch holding rows 6..15: 6..12 were delivered.
  v = Rows(&t, 1, 6, 10);
  CHECK(v.kind == Verdict::kInOrder);
  UNSIGNED_LONGS_EQUAL(7, v.skip);
  UNSIGNED_LONGLONGS_EQUAL(16, t.next_row(v.track));
  CHECK(Rows(&t, 1, 11, 5).kind == Verdict::kDuplicate);
  CHECK(Rows(&t, 1, 16, 1).kind == Verdict::kInOrder);
}

TEST(SequenceTracker, RowsAfterAGapWaitForTheMissingOnes) {
  SequenceTracker t(4);
  CHECK(Rows(&t, 1, 1, 10).kind == Verdict::kInOrder);
  Verdict gap = Rows(&t, 1, 21, 5);
  CHECK(gap.kind == Verdict::kGap);
  UNSIGNED_LONGLONGS_EQUAL(10, gap.lost);
  // Not jumped over: the next row expected is still 11.
  UNSIGNED_LONGLONGS_EQUAL(11, t.next_row(gap.track));
  CHECK(Rows(&t, 1, 11, 10).kind == Verdict::kInOrder);
  CHECK(Rows(&t, 1, 21, 5).kind == Verdict::kInOrder);
  // The epoch (a restarted producer) does not matter: positions carry on.
  UNSIGNED_LONGLONGS_EQUAL(26, t.next_row(gap.track));
}

TEST(SequenceTracker, RowsHeartbeatClosesOnlyWithEveryRowIn) {
  SequenceTracker t(4);
  CHECK(Rows(&t, 1, 1, 10).kind == Verdict::kInOrder);
  CHECK(t.OnRowsHeartbeat(1, 7, 12, 500, /*closing=*/false, 0).kind == Verdict::kGap);
  CHECK(t.Watermark() == INT64_MIN);  // the heartbeat's watermark waits too
  CHECK(t.OnRowsHeartbeat(1, 7, 12, 500, /*closing=*/true, 0).kind == Verdict::kGap);
  UNSIGNED_LONGS_EQUAL(0, t.closed());
  CHECK(Rows(&t, 1, 11, 2).kind == Verdict::kInOrder);
  CHECK(t.OnRowsHeartbeat(1, 7, 12, 500, false, 0).kind == Verdict::kInOrder);
  LONGLONGS_EQUAL(500, t.Watermark());
  CHECK(t.OnRowsHeartbeat(1, 7, 12, 500, true, 0).kind == Verdict::kInOrder);
  UNSIGNED_LONGS_EQUAL(1, t.closed());
}

TEST(SequenceTracker, ReplayRequestsArePaced) {
  SequenceTracker t(4);
  Verdict gap = Rows(&t, 1, 5, 1);
  CHECK(t.AskReplay(gap.track, 1000, 100));
  CHECK_FALSE(t.AskReplay(gap.track, 1050, 100));
  CHECK(t.AskReplay(gap.track, 1100, 100));
}

TEST(SequenceTracker, PositionsRoundTrip) {
  SequenceTracker t(4);
  Rows(&t, 1, 1, 10);
  Rows(&t, 2, 1, 3);
  t.OnRowsHeartbeat(2, 7, 3, 0, /*closing=*/true, 0);
  SequenceTracker::Position saved[4];
  UNSIGNED_LONGS_EQUAL(2, t.Positions(saved));

  SequenceTracker restored(4);
  for (int i = 0; i < 2; ++i) restored.RestorePosition(saved[i], 0);
  UNSIGNED_LONGS_EQUAL(1, restored.closed());
  CHECK(Rows(&restored, 1, 1, 10).kind == Verdict::kDuplicate);
  Verdict v = Rows(&restored, 1, 11, 1);
  CHECK(v.kind == Verdict::kInOrder);
  UNSIGNED_LONGS_EQUAL(0, v.skip);
  CHECK(Rows(&restored, 2, 4, 1).kind == Verdict::kInOrder);
}
