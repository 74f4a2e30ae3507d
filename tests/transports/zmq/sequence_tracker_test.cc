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
