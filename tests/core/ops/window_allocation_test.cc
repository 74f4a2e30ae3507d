// WindowOperator and LateRowFilter do not allocate after construction:
// every window type, with lateness, late rows, early firings (rows and ms),
// eviction, results beyond the output batch and the queue (Flush), Drain,
// and checkpoint snapshots after every batch, run with every malloc
// counted, and the count must be zero.
//
// Allocations are counted by //tests/testing:allocation_counter (its own
// binary: the counter replaces malloc).
#include <cstdint>
#include <random>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/late_filter.h"
#include "core/ops/window.h"
#include "tests/core/ops/window_testing.h"
#include "tests/testing/allocation_counter.h"


// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Status;
using runnel::ops::LateRowFilter;
using runnel::state::OverflowPolicy;
using namespace window_testing;

namespace {

// Runs `rows` through `spec` like a task, counting allocations after
// construction. Results are only counted, not kept. With `checkpoints`, a
// snapshot of the changes follows every batch, as the checkpoint
// coordinator takes them.
uint64_t AllocationsWhileRunning(const WindowSpec& spec,
                                 const std::vector<In>& rows,
                                 uint32_t batch_rows, bool checkpoints = false) {
  ManualClock clock(0);
  WindowOperator op(spec, &clock);
  if (checkpoints) op.PrepareCheckpoints();
  runnel::runtime::StateBuffer snapshot(op.checkpoint_bytes());
  LateRowFilter filter(spec);
  RowBatch in(kInWidth, batch_rows);
  RowBatch out(spec.out_width, batch_rows);
  RowBatch late(kInWidth, batch_rows);
  uint64_t results = 0;
  bool ok = true;
  runnel::testing::StartCountingAllocations();
  for (size_t i = 0; i < rows.size() && ok;) {
    in.Clear();
    while (i < rows.size() && !in.full()) {
      Slot* row = in.Append();
      row[kKey].i64 = rows[i].key;
      row[kTs].i64 = rows[i].ts;
      row[kV].i64 = rows[i].v;
      row[kWmSlot].i64 = rows[i].wm;
      ++i;
    }
    in.set_watermark(i < rows.size() ? rows[i].wm : kNoWm);
    late.Clear();
    ok = ok && filter.Process(in, &late).ok();
    out.Clear();
    ok = ok && op.Process(in, &out).ok();
    results += out.size();
    while (ok && op.has_pending_output()) {
      out.Clear();
      ok = op.Flush(&out).ok();
      results += out.size();
    }
    clock.Advance(7);
    if (ok && op.next_processing_time_ms() <= clock.NowMillis()) {
      out.Clear();
      ok = op.OnProcessingTime(clock.NowMillis(), &out).ok();
      results += out.size();
    }
    if (checkpoints && !op.has_pending_output()) {
      snapshot.Clear();
      ok = ok && op.Snapshot(/*full=*/false, &snapshot);
    }
  }
  for (bool done = false; ok && !done;) {
    out.Clear();
    ok = op.Drain(&out, &done).ok();
    results += out.size();
  }
  const uint64_t allocations = runnel::testing::StopCountingAllocations();
  CHECK(ok);
  CHECK(results > 0);
  return allocations;
}

}  // namespace

TEST_GROUP(WindowAllocation){};

TEST(WindowAllocation, NothingAllocatesAfterConstruction) {
  const std::vector<In> rows = RandomStream(7, 20000, 50, -1000);
  // Every kind, plus processing-time early firings and a window with more
  // results than the batch and the queue hold.
  std::vector<WindowSpec> specs = SpecsOfEveryKind();
  specs[0].early_every_ms = 20;
  specs[2].early_every_ms = 20;
  specs[3].early_every_ms = 20;
  specs[4].early_every_ms = 20;
  specs.push_back(MakeSpec(Type::kSliding));  // more results than batch + queue
  specs.back().size_ns = 3000;
  specs.back().slide_ns = 1;
  specs.back().state.capacity = 64;
  specs.back().state.policy = OverflowPolicy::kEvictOldest;
  for (const WindowSpec& spec : specs) {
    for (uint32_t batch : {1u, 64u, 1024u}) {
      LONGS_EQUAL(0, AllocationsWhileRunning(spec, rows, batch));
      LONGS_EQUAL(0, AllocationsWhileRunning(spec, rows, batch, /*checkpoints=*/true));
    }
  }
  // The hooks count: a positive control.
  runnel::testing::StartCountingAllocations();
  std::vector<int>* v = new std::vector<int>(100);
  const uint64_t counted = runnel::testing::StopCountingAllocations();
  delete v;
  if (runnel::testing::kCountsAllocations) CHECK(counted >= 2);
}
