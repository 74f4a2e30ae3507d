// WindowOperator and LateRowFilter on small inputs with hand-computed
// results. Window arithmetic: tumbling [s, s + size) with s a multiple of
// size (also below 0); a window fires when the watermark reaches end - 1.
#include "core/ops/window.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/late_filter.h"
#include "tests/core/ops/window_testing.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Status;
using runnel::StatusCode;
using runnel::ops::IsLate;
using runnel::state::OverflowPolicy;
using namespace window_testing;

namespace {

constexpr int64_t kMsNs = 1000000;

const ManualClock& Clock0() {
  static const ManualClock clock(0);
  return clock;
}

void CheckOk(const Status& status) {
  CHECK_TEXT(status.ok(), status.message().c_str());
}

void CheckResults(const std::vector<Out>& expected,
                  const std::vector<Out>& actual) {
  if (expected != actual) {
    FAIL(("expected:\n" + ToString(expected) + "actual:\n" + ToString(actual))
             .c_str());
  }
}

// Runs `rows` through a fresh operator in batches of `batch_rows`, then
// drains it; returns the results.
std::vector<Out> Run(const WindowSpec& spec, const std::vector<In>& rows,
                     uint32_t batch_rows, int64_t final_wm = kNoWm) {
  Runner runner(spec, &Clock0(), batch_rows);
  CheckOk(runner.Feed(rows, final_wm));
  CheckOk(runner.Drain());
  return runner.results();
}

// The same results whatever the batch size.
void CheckAllBatchSizes(const WindowSpec& spec, const std::vector<In>& rows,
                        const std::vector<Out>& expected,
                        int64_t final_wm = kNoWm) {
  for (uint32_t batch : {1u, 2u, 3u, 7u, 1024u}) {
    CheckResults(expected, Run(spec, rows, batch, final_wm));
  }
}

WindowSpec Tumbling(int64_t size, int64_t lateness = 0) {
  WindowSpec spec = MakeSpec(Type::kTumbling);
  spec.size_ns = size;
  spec.allowed_lateness_ns = lateness;
  return spec;
}

WindowSpec Sliding(int64_t size, int64_t slide, int64_t lateness = 0) {
  WindowSpec spec = MakeSpec(Type::kSliding);
  spec.size_ns = size;
  spec.slide_ns = slide;
  spec.allowed_lateness_ns = lateness;
  return spec;
}

WindowSpec Session(int64_t gap, int64_t lateness = 0) {
  WindowSpec spec = MakeSpec(Type::kSession);
  spec.gap_ns = gap;
  spec.allowed_lateness_ns = lateness;
  return spec;
}

WindowSpec Count(uint64_t count, uint64_t slide = 0) {
  WindowSpec spec = MakeSpec(Type::kCount);
  spec.count = count;
  spec.count_slide = slide;
  return spec;
}

}  // namespace

// ---------------------------------------------------------------------------
// Tumbling

TEST_GROUP(WindowTumbling){};

TEST(WindowTumbling, FiresInOrderOfEndThenOfFirstRow) {
  // key, ts, v, watermark slot. Key 2's window [0, 10) got its first row
  // before key 1's, so it fires first; ts 8 arrives out of order.
  std::vector<In> rows = {
      {2, 3, 1, kNoWm}, {1, 1, 10, kNoWm}, {1, 5, 20, kNoWm}, {1, 12, 30, 0},
      {1, 8, 40, 6},    {2, 15, 2, 6},     {1, 21, 50, 9}};
  CheckAllBatchSizes(Tumbling(10), rows,
                     {{2, 0, 10, 1, 1, 0, 0},
                      {1, 0, 10, 3, 70, 0, 0},
                      {1, 10, 20, 1, 30, 0, 0},
                      {2, 10, 20, 1, 2, 0, 0},
                      {1, 20, 30, 1, 50, 0, 0}});
}

TEST(WindowTumbling, ResultsCarryTheWatermarkBeforeTheAdvanceThatFiredThem) {
  WindowSpec spec = Tumbling(10);
  spec.out_watermark = true;
  spec.out_width = 7;
  std::vector<In> rows = {
      {2, 3, 1, kNoWm}, {1, 1, 10, kNoWm}, {1, 5, 20, kNoWm}, {1, 12, 30, 0},
      {1, 8, 40, 6},    {2, 15, 2, 6},     {1, 21, 50, 9}};
  // [0, 10) fires as the watermark goes 6 -> 9; the rest as it goes 9 -> 100
  // after the last batch.
  CheckAllBatchSizes(spec, rows,
                     {{2, 0, 10, 1, 1, 0, 6},
                      {1, 0, 10, 3, 70, 0, 6},
                      {1, 10, 20, 1, 30, 0, 9},
                      {2, 10, 20, 1, 2, 0, 9},
                      {1, 20, 30, 1, 50, 0, 9}},
                     /*final_wm=*/100);
}

TEST(WindowTumbling, BatchWatermarkPassesOnOnceTheWindowsItFiredAreOut) {
  Runner runner(Tumbling(10), &Clock0(), 4);
  CheckOk(runner.Feed({{1, 1, 1, kNoWm}}, /*final_wm=*/50));
  CheckResults({{1, 0, 10, 1, 1, 0, 0}}, runner.results());
  CHECK_FALSE(runner.op().has_pending_output());
}

TEST(WindowTumbling, LateRowBeyondLatenessIsDroppedCountedAndSideOutput) {
  // Lateness 0: ts 3 with watermark 8 still counts; with watermark 9 (the
  // window's end - 1) it is late.
  std::vector<In> rows = {
      {1, 1, 1, kNoWm}, {1, 15, 2, kNoWm}, {1, 3, 4, 8}, {1, 3, 8, 9}};
  Runner runner(Tumbling(10), &Clock0(), 2);
  CheckOk(runner.Feed(rows));
  CheckOk(runner.Drain());
  CheckResults({{1, 0, 10, 2, 5, 0, 0}, {1, 10, 20, 1, 2, 0, 0}},
               runner.results());
  LONGS_EQUAL(1, runner.op().metrics().dropped);
  LONGS_EQUAL(1, runner.late_rows().size());
  LONGS_EQUAL(3, runner.late_rows()[0].ts);
  LONGS_EQUAL(8, runner.late_rows()[0].v);
}

TEST(WindowTumbling, LateRowWithinLatenessUpdatesTheWindow) {
  // Lateness 5: [0, 10) fires at watermark 9 and is kept until 14; ts 3 at
  // watermark 11 re-fires it as an update, ts 4 at watermark 14 is late.
  std::vector<In> rows = {{1, 1, 1, kNoWm},
                          {1, 12, 2, kNoWm},
                          {1, 3, 4, 11},
                          {1, 4, 8, 14},
                          {1, 13, 1, 14}};
  CheckAllBatchSizes(Tumbling(10, 5), rows,
                     {{1, 0, 10, 1, 1, 0, 0},
                      {1, 0, 10, 2, 5, 1, 0},
                      {1, 10, 20, 2, 3, 0, 0}});
  Runner runner(Tumbling(10, 5), &Clock0(), 1);
  CheckOk(runner.Feed(rows));
  LONGS_EQUAL(1, runner.op().metrics().dropped);
  LONGS_EQUAL(1, runner.late_rows().size());
  LONGS_EQUAL(4, runner.late_rows()[0].ts);
}

TEST(WindowTumbling, LateRowOpensAWindowThatNeverFired) {
  // Nothing was in [0, 10) when the watermark passed it; ts 5 within the
  // lateness makes it fire once, as a first result.
  std::vector<In> rows = {{1, 25, 1, kNoWm}, {1, 5, 2, 12}, {1, 6, 4, 12}};
  CheckAllBatchSizes(Tumbling(10, 10), rows,
                     {{1, 0, 10, 1, 2, 0, 0},
                      {1, 0, 10, 2, 6, 1, 0},
                      {1, 20, 30, 1, 1, 0, 0}});
}

TEST(WindowTumbling, EmitFinalGivesOneResultOnceTheLatenessIsOver) {
  WindowSpec spec = Tumbling(10, 5);
  spec.emit_final = true;
  std::vector<In> rows = {{1, 1, 1, kNoWm},
                          {1, 12, 2, kNoWm},
                          {1, 3, 4, 11},
                          {1, 4, 8, 14},
                          {1, 13, 1, 14}};
  CheckAllBatchSizes(spec, rows,
                     {{1, 0, 10, 2, 5, 0, 0}, {1, 10, 20, 2, 3, 0, 0}});
}

TEST(WindowTumbling, WindowsAtZeroAndNegativeTimes) {
  std::vector<In> rows = {{1, -15, 1}, {1, -10, 2}, {1, -1, 4},
                          {1, 0, 8},   {1, 9, 16},  {1, 10, 32}};
  CheckAllBatchSizes(Tumbling(10), rows,
                     {{1, -20, -10, 1, 1, 0, 0},
                      {1, -10, 0, 2, 6, 0, 0},
                      {1, 0, 10, 2, 24, 0, 0},
                      {1, 10, 20, 1, 32, 0, 0}});
  const WindowSpec spec = Tumbling(10);
  CHECK(IsLate(spec, -1, -1));  // [-10, 0) ends at -1
  CHECK_FALSE(IsLate(spec, -1, -2));
  CHECK(IsLate(spec, -11, -11));  // [-20, -10)
  CHECK_FALSE(IsLate(spec, -11, -12));
  CHECK_FALSE(IsLate(spec, 0, -1));
  CHECK(IsLate(spec, 0, 9));
  CHECK_FALSE(IsLate(spec, 0, kNoWm));
  CHECK(IsLate(Tumbling(10, 5), 0, 14));
  CHECK_FALSE(IsLate(Tumbling(10, 5), 0, 13));
}

TEST(WindowTumbling, EmptyWindowsEmitNothing) {
  CheckAllBatchSizes(Tumbling(10), {{1, 1, 1}, {1, 55, 2}},
                     {{1, 0, 10, 1, 1, 0, 0}, {1, 50, 60, 1, 2, 0, 0}},
                     /*final_wm=*/1000);
}

TEST(WindowTumbling, OneKeyFarAheadMakesTheOthersLate) {
  std::vector<In> rows = {{1, 1, 1}, {1, 2, 2}, {2, 1000, 4}, {1, 3, 8}};
  SetWatermarks(&rows, 0);  // slots: none, 1, 2, 1000
  Runner runner(Tumbling(10), &Clock0(), 7);
  CheckOk(runner.Feed(rows));
  CheckOk(runner.Drain());
  CheckResults({{1, 0, 10, 2, 3, 0, 0}, {2, 1000, 1010, 1, 4, 0, 0}},
               runner.results());
  LONGS_EQUAL(1, runner.op().metrics().dropped);
  LONGS_EQUAL(1, runner.late_rows().size());
  LONGS_EQUAL(3, runner.late_rows()[0].ts);
}

TEST(WindowTumbling, MoreResultsThanTheOutputBatchWaitForFlush) {
  std::vector<In> rows;
  std::vector<Out> expected;
  for (int64_t key = 1; key <= 50; ++key) {
    rows.push_back({key, 1, key, kNoWm});
    expected.push_back({key, 0, 10, 1, key, 0, 0});
  }
  rows.push_back({0, 105, 7, 100});
  expected.push_back({0, 100, 110, 1, 7, 0, 0});
  Runner runner(Tumbling(10), &Clock0(), 4);
  CheckOk(runner.Feed(rows));
  CHECK(runner.flushes() > 0);
  CHECK_FALSE(runner.op().has_pending_output());
  CheckOk(runner.Drain());
  CheckResults(expected, runner.results());
}

TEST(WindowTumbling, EarlyEveryRows) {
  WindowSpec spec = Tumbling(100);
  spec.early_every_rows = 2;
  CheckAllBatchSizes(spec,
                     {{1, 1, 1}, {1, 2, 1}, {1, 3, 1}, {1, 4, 1}, {1, 5, 1}},
                     {{1, 0, 100, 2, 2, 0, 0},
                      {1, 0, 100, 4, 4, 1, 0},
                      {1, 0, 100, 5, 5, 1, 0}});
}

TEST(WindowTumbling, EarlyEveryMsReEmitsChangedOpenWindows) {
  ManualClock clock(0);
  WindowSpec spec = Tumbling(1000);
  spec.early_every_ms = 10;
  Runner runner(spec, &clock, 16);
  CheckOk(runner.Feed({{1, 1, 1}, {2, 2, 2}}));
  LONGS_EQUAL(10, runner.op().next_processing_time_ms());
  clock.Set(10);
  CheckOk(runner.ProcessingTime(10));
  CheckResults({{1, 0, 1000, 1, 1, 0, 0}, {2, 0, 1000, 1, 2, 0, 0}},
               runner.results());
  LONGS_EQUAL(20, runner.op().next_processing_time_ms());
  CheckOk(runner.Feed({{1, 3, 4}}));
  runner.results().clear();
  CheckOk(runner.ProcessingTime(20));
  CheckResults({{1, 0, 1000, 2, 5, 1, 0}},
               runner.results());  // key 2 did not change
  runner.results().clear();
  CheckOk(runner.ProcessingTime(30));
  CHECK(runner.results().empty());
  CheckOk(runner.Drain());
  CheckResults({{1, 0, 1000, 2, 5, 1, 0}, {2, 0, 1000, 1, 2, 1, 0}},
               runner.results());
}

TEST(WindowTumbling, StateFullWithFailNamesTheCapacity) {
  WindowSpec spec = Tumbling(10);
  spec.state.capacity = 2;
  Runner runner(spec, &Clock0(), 8);
  Status status = runner.Feed({{1, 1, 1}, {1, 11, 1}, {1, 21, 1}});
  CHECK(status.code() == StatusCode::kResourceExhausted);
  CHECK_TEXT(
      status.message().find("window.state.capacity") != std::string::npos,
      status.message().c_str());
}

TEST(WindowTumbling, StateFullWithDropNewOrEvictOldest) {
  WindowSpec spec = Tumbling(10);
  spec.state.capacity = 2;
  spec.state.policy = OverflowPolicy::kDropNew;
  Runner drop(spec, &Clock0(), 8);
  CheckOk(drop.Feed({{1, 1, 1}, {1, 11, 2}, {1, 21, 4}, {1, 2, 8}}));
  CheckOk(drop.Drain());
  CheckResults({{1, 0, 10, 2, 9, 0, 0}, {1, 10, 20, 1, 2, 0, 0}},
               drop.results());
  LONGS_EQUAL(1, drop.op().metrics().dropped);
  LONGS_EQUAL(2, drop.op().metrics().state_capacity);

  spec.state.policy = OverflowPolicy::kEvictOldest;
  Runner evict(spec, &Clock0(), 8);
  CheckOk(evict.Feed({{1, 1, 1}, {1, 11, 2}, {1, 21, 4}}));
  LONGS_EQUAL(1, evict.op().metrics().evicted);
  LONGS_EQUAL(2, evict.op().metrics().state_entries);
  CheckOk(evict.Drain());
  CheckResults({{1, 10, 20, 1, 2, 0, 0}, {1, 20, 30, 1, 4, 0, 0}},
               evict.results());
  LONGS_EQUAL(0, evict.op().metrics().state_entries);
}

TEST(WindowTumbling, InvalidSpecIsReportedByProcess) {
  WindowSpec spec = Tumbling(10);
  spec.out_width = 5;
  Runner runner(spec, &Clock0(), 8);
  Status status = runner.Feed({{1, 1, 1}});
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK_TEXT(status.message().find("out_width") != std::string::npos,
             status.message().c_str());
}

// ---------------------------------------------------------------------------
// Processing time

TEST_GROUP(WindowProcessingTime){};

TEST(WindowProcessingTime, RowsGoToTheWindowOfTheClock) {
  ManualClock clock(1000);
  WindowSpec spec = Tumbling(100 * kMsNs);
  spec.processing_time = true;
  spec.watermark_slot = -1;
  Runner runner(spec, &clock, 8);
  CheckOk(runner.Feed({{1, 0, 1}, {1, 999999, 2}}));  // ts is ignored
  LONGS_EQUAL(1100, runner.op().next_processing_time_ms());
  clock.Set(1050);
  CheckOk(runner.Feed({{2, 0, 4}}));
  CheckOk(runner.ProcessingTime(1099));
  CHECK(runner.results().empty());
  clock.Set(1100);
  CheckOk(runner.ProcessingTime(1100));
  CheckResults({{1, 1000 * kMsNs, 1100 * kMsNs, 2, 3, 0, 0},
                {2, 1000 * kMsNs, 1100 * kMsNs, 1, 4, 0, 0}},
               runner.results());
  LONGS_EQUAL(INT64_MAX, runner.op().next_processing_time_ms());
  runner.results().clear();
  clock.Set(1250);
  CheckOk(runner.Feed({{1, 0, 8}}));
  CheckOk(runner.Drain());
  CheckResults({{1, 1200 * kMsNs, 1300 * kMsNs, 1, 8, 0, 0}}, runner.results());
  CHECK_FALSE(IsLate(spec, 0, INT64_MAX));
}

TEST(WindowProcessingTime, SessionsCloseAfterTheGap) {
  ManualClock clock(0);
  WindowSpec spec = Session(50 * kMsNs);
  spec.processing_time = true;
  spec.watermark_slot = -1;
  Runner runner(spec, &clock, 8);
  CheckOk(runner.Feed({{1, 0, 1}}));
  clock.Set(40);
  CheckOk(runner.Feed({{1, 0, 2}}));  // extends the session to 90 ms
  CheckOk(runner.ProcessingTime(60));
  CHECK(runner.results().empty());
  LONGS_EQUAL(90, runner.op().next_processing_time_ms());
  CheckOk(runner.ProcessingTime(90));
  CheckResults({{1, 0, 90 * kMsNs, 2, 3, 0, 0}}, runner.results());
}

// ---------------------------------------------------------------------------
// Sliding

TEST_GROUP(WindowSliding){};

TEST(WindowSliding, MergesPanes) {
  CheckAllBatchSizes(Sliding(10, 5), {{1, 1, 1}, {1, 6, 2}, {1, 12, 4}},
                     {{1, -5, 5, 1, 1, 0, 0},
                      {1, 0, 10, 2, 3, 0, 0},
                      {1, 5, 15, 2, 6, 0, 0},
                      {1, 10, 20, 1, 4, 0, 0}});
}

TEST(WindowSliding, EqualEndsFireInOrderOfTheWindowsFirstRow) {
  // Key 1's windows up to [0, 10) got their first row first; [5, 15) got
  // key 2's (ts 7) before key 1's (ts 8).
  CheckAllBatchSizes(Sliding(10, 5),
                     {{1, 1, 1}, {2, 2, 2}, {2, 7, 4}, {1, 8, 8}},
                     {{1, -5, 5, 1, 1, 0, 0},
                      {2, -5, 5, 1, 2, 0, 0},
                      {1, 0, 10, 2, 9, 0, 0},
                      {2, 0, 10, 2, 6, 0, 0},
                      {2, 5, 15, 1, 4, 0, 0},
                      {1, 5, 15, 1, 8, 0, 0}});
}

TEST(WindowSliding, SizeNotAMultipleOfSlide) {
  // Panes of gcd(10, 4) = 2; windows start at multiples of 4.
  CheckAllBatchSizes(Sliding(10, 4), {{1, 0, 1}, {1, 3, 2}, {1, 9, 4}},
                     {{1, -8, 2, 1, 1, 0, 0},
                      {1, -4, 6, 2, 3, 0, 0},
                      {1, 0, 10, 3, 7, 0, 0},
                      {1, 4, 14, 1, 4, 0, 0},
                      {1, 8, 18, 1, 4, 0, 0}});
}

TEST(WindowSliding, SlideLongerThanSizeLeavesGaps) {
  // Windows [0, 5), [10, 15), ...: ts 7 and 8 are in none.
  CheckAllBatchSizes(Sliding(5, 10),
                     {{1, 3, 1}, {1, 7, 2}, {1, 8, 4}, {1, 12, 8}, {1, 31, 16}},
                     {{1, 0, 5, 1, 1, 0, 0},
                      {1, 10, 15, 1, 8, 0, 0},
                      {1, 30, 35, 1, 16, 0, 0}},
                     /*final_wm=*/100);
}

TEST(WindowSliding, LateRowWithinLatenessUpdatesTheWindowsStillKept) {
  // At watermark 10, [-5, 5) is past its lateness (4 + 5 <= 10) and
  // [0, 10) is not: ts 3 updates only [0, 10).
  CheckAllBatchSizes(Sliding(10, 5, 5),
                     {{1, 1, 1}, {1, 7, 2}, {1, 12, 4}, {1, 3, 8, 10}},
                     {{1, -5, 5, 1, 1, 0, 0},
                      {1, 0, 10, 2, 3, 0, 0},
                      {1, 0, 10, 3, 11, 1, 0},
                      {1, 5, 15, 2, 6, 0, 0},
                      {1, 10, 20, 1, 4, 0, 0}});
}

TEST(WindowSliding, LateRowsInWindowsThatHadNoRows) {
  // Lateness 20. At watermark 30 the windows of ts 1 fire; ts 22 (late, but
  // within the lateness) opens [15, 25) and [20, 30), which never emitted:
  // first results. At watermark 50, ts 33 lands in [25, 35) and [30, 40),
  // skipped earlier as empty: first results again; ts 34 then updates them.
  std::vector<In> rows = {{1, 1, 1, kNoWm}, {1, 40, 2, kNoWm}, {1, 22, 4, 30},
                          {1, 60, 8, 50},   {1, 33, 16, 50},   {1, 34, 32, 50}};
  CheckAllBatchSizes(Sliding(10, 5, 20), rows,
                     {{1, -5, 5, 1, 1, 0, 0},
                      {1, 0, 10, 1, 1, 0, 0},
                      {1, 15, 25, 1, 4, 0, 0},
                      {1, 20, 30, 1, 4, 0, 0},
                      {1, 35, 45, 1, 2, 0, 0},
                      {1, 40, 50, 1, 2, 0, 0},
                      {1, 25, 35, 1, 16, 0, 0},
                      {1, 30, 40, 1, 16, 0, 0},
                      {1, 25, 35, 2, 48, 1, 0},
                      {1, 30, 40, 2, 48, 1, 0},
                      {1, 55, 65, 1, 8, 0, 0},
                      {1, 60, 70, 1, 8, 0, 0}});
}

TEST(WindowSliding, EmitFinal) {
  WindowSpec spec = Sliding(10, 5, 5);
  spec.emit_final = true;
  // ts 3 at watermark 10 is too late for [-5, 5) but not for [0, 10).
  CheckAllBatchSizes(spec,
                     {{1, 1, 1}, {1, 7, 2}, {1, 3, 4, 10}, {1, 12, 8, 10}},
                     {{1, -5, 5, 1, 1, 0, 0},
                      {1, 0, 10, 3, 7, 0, 0},
                      {1, 5, 15, 2, 10, 0, 0},
                      {1, 10, 20, 1, 8, 0, 0}});
}

TEST(WindowSliding, EarlyEveryRowsCountsPerWindow) {
  WindowSpec spec = Sliding(10, 5);
  spec.early_every_rows = 2;
  // Every window counts its own rows: [0, 10) and [5, 15) emit early at
  // ts 8, [5, 15) again at ts 12 (its 2nd row since), with [10, 20).
  CheckAllBatchSizes(spec, {{1, 6, 1}, {1, 8, 2}, {1, 11, 4}, {1, 12, 8}},
                     {{1, 0, 10, 2, 3, 0, 0},
                      {1, 5, 15, 2, 3, 0, 0},
                      {1, 5, 15, 4, 15, 1, 0},
                      {1, 10, 20, 2, 12, 0, 0},
                      {1, 0, 10, 2, 3, 1, 0},
                      {1, 5, 15, 4, 15, 1, 0},
                      {1, 10, 20, 2, 12, 1, 0}});
}

TEST(WindowSliding, AWatermarkJumpBeyondTheQueueResumesInFlush) {
  // One pane in 5000 windows: far more results than the batch (2 rows) and
  // the queue (16 + 1024 rows) hold at once.
  WindowSpec spec = Sliding(5000, 1);
  spec.state.capacity = 16;
  std::vector<In> rows = {{1, 0, 1, kNoWm}, {2, 10000, 2, 10000}};
  std::vector<Out> expected;
  for (int64_t s = -4999; s <= 0; ++s)
    expected.push_back({1, s, s + 5000, 1, 1, 0, 0});
  // Key 2's row is too late for [5001, 10001), whose end - 1 is the watermark.
  for (int64_t s = 5002; s <= 10000; ++s)
    expected.push_back({2, s, s + 5000, 1, 2, 0, 0});
  Runner runner(spec, &Clock0(), 2);
  CheckOk(runner.Feed(rows));
  CHECK(runner.flushes() > 1000);
  CheckOk(runner.Drain());
  CheckResults(expected, runner.results());
  CheckResults(expected, Run(spec, rows, 1));
}

// ---------------------------------------------------------------------------
// Session

TEST_GROUP(WindowSession){};

TEST(WindowSession, ARowBridgingTwoSessionsMergesThem) {
  // [0, 15) and [20, 40) (ts 20 touches [30, 40): merged, as Flink), then
  // ts 12's [12, 22) meets both.
  CheckAllBatchSizes(
      Session(10),
      {{1, 0, 1}, {1, 5, 2}, {1, 30, 4}, {1, 20, 8}, {1, 12, 16}, {2, 100, 32}},
      {{1, 0, 40, 5, 31, 0, 0}, {2, 100, 110, 1, 32, 0, 0}});
}

TEST(WindowSession, FiredSessionMergedByLateRowsIsAnUpdate) {
  // Lateness 15. [0, 10) fires at watermark 20 (kept until 24); ts 14, 12
  // open [12, 24); ts 9 bridges it with [0, 10): [0, 24) has emitted before.
  std::vector<In> rows = {{1, 0, 1, kNoWm}, {1, 25, 2, kNoWm}, {2, 100, 0, 20},
                          {1, 14, 4, 20},   {1, 12, 8, 20},    {1, 9, 16, 20}};
  CheckAllBatchSizes(Session(10, 15), rows,
                     {{1, 0, 10, 1, 1, 0, 0},
                      {1, 0, 24, 4, 29, 1, 0},
                      {1, 25, 35, 1, 2, 0, 0},
                      {2, 100, 110, 1, 0, 0, 0}});
}

TEST(WindowSession, LatenessIsJudgedOnTheRowsOwnWindow) {
  // ts 5 at watermark 14: [5, 15) ends at 14, so the row is late.
  std::vector<In> rows = {{1, 0, 1, kNoWm}, {1, 30, 2, kNoWm}, {1, 5, 4, 14}};
  Runner runner(Session(10), &Clock0(), 2);
  CheckOk(runner.Feed(rows));
  CheckOk(runner.Drain());
  CheckResults({{1, 0, 10, 1, 1, 0, 0}, {1, 30, 40, 1, 2, 0, 0}},
               runner.results());
  LONGS_EQUAL(1, runner.op().metrics().dropped);
  LONGS_EQUAL(1, runner.late_rows().size());
  LONGS_EQUAL(5, runner.late_rows()[0].ts);
}

TEST(WindowSession, EmitFinal) {
  WindowSpec spec = Session(10, 15);
  spec.emit_final = true;
  std::vector<In> rows = {{1, 0, 1, kNoWm}, {1, 25, 2, kNoWm}, {2, 100, 0, 20},
                          {1, 14, 4, 20},   {1, 12, 8, 20},    {1, 9, 16, 20}};
  CheckAllBatchSizes(spec, rows,
                     {{1, 0, 24, 4, 29, 0, 0},
                      {1, 25, 35, 1, 2, 0, 0},
                      {2, 100, 110, 1, 0, 0, 0}});
}

TEST(WindowSession, EarlyEveryRows) {
  WindowSpec spec = Session(10);
  spec.early_every_rows = 2;
  CheckAllBatchSizes(spec, {{1, 0, 1}, {1, 5, 2}, {1, 30, 4}, {1, 8, 8}},
                     {{1, 0, 15, 2, 3, 0, 0},
                      {1, 0, 18, 3, 11, 1, 0},
                      {1, 30, 40, 1, 4, 0, 0}});
}

// ---------------------------------------------------------------------------
// Count

TEST_GROUP(WindowCount){};

TEST(WindowCount, Tumbling) {
  // Incomplete windows are not emitted at the end (as Flink's countWindow).
  std::vector<In> rows = {{1, 0, 1}, {2, 0, 100}, {1, 0, 2},
                          {1, 0, 3}, {1, 0, 4},   {2, 0, 200},
                          {1, 0, 5}, {1, 0, 6},   {1, 0, 7}};
  CheckAllBatchSizes(Count(3), rows,
                     {{1, 0, 3, 3, 6, 0, 0}, {1, 3, 6, 3, 15, 0, 0}});
}

TEST(WindowCount, Sliding) {
  std::vector<In> rows = {{1, 0, 1}, {1, 0, 2}, {1, 0, 3}, {1, 0, 4},
                          {1, 0, 5}, {1, 0, 6}, {1, 0, 7}};
  CheckAllBatchSizes(Count(4, 2), rows,
                     {{1, 0, 4, 4, 10, 0, 0}, {1, 2, 6, 4, 18, 0, 0}});
}

TEST(WindowCount, IgnoresWatermarks) {
  Runner runner(Count(2), &Clock0(), 4);
  CheckOk(runner.Feed({{1, 0, 1, 1000}, {1, 5, 2, 1000}}, 5000));
  CheckResults({{1, 0, 2, 2, 3, 0, 0}}, runner.results());
  LONGS_EQUAL(0, runner.op().metrics().dropped);
  CHECK(runner.late_rows().empty());
}

TEST(WindowCount, SlideMustDivideCount) {
  Runner runner(Count(5, 2), &Clock0(), 4);
  CHECK(runner.Feed({{1, 0, 1}}).code() == StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Determinism: a larger disordered stream, every window type, batches of
// 1, 7 and 1024 rows give the same rows in the same order.

TEST_GROUP(WindowDeterminism){};

TEST(WindowDeterminism, SameResultsForAnyBatchSize) {
  std::mt19937_64 rng(42);
  std::vector<In> rows;
  int64_t t = -500;
  for (int i = 0; i < 3000; ++i) {
    t += static_cast<int64_t>(rng() % 4);
    if (rng() % 200 == 0) t += 300;  // a jump: many windows fire at once
    const int64_t ts = t - static_cast<int64_t>(rng() % 40);
    rows.push_back({static_cast<int64_t>(rng() % 20), ts,
                    static_cast<int64_t>(rng() % 100)});
  }
  SetWatermarks(&rows, 15);

  std::vector<WindowSpec> specs;
  specs.push_back(Tumbling(50, 20));
  specs.back().early_every_rows = 3;
  specs.push_back(Sliding(100, 20, 50));
  specs.push_back(Sliding(30, 20, 10));
  specs.back().early_every_rows = 4;
  specs.push_back(Session(15, 20));
  specs.push_back(Session(15, 20));
  specs.back().emit_final = true;
  specs.push_back(Count(6, 3));
  for (WindowSpec& spec : specs) {
    spec.out_watermark = true;
    spec.out_width = 7;
    const std::vector<Out> one = Run(spec, rows, 1, t);
    CHECK(one.size() > 100);
    CheckResults(one, Run(spec, rows, 7, t));
    CheckResults(one, Run(spec, rows, 1024, t));
  }
}
