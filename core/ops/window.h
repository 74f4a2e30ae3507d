// WindowOperator: windowed aggregates per key, with Flink's event-time
// semantics — tumbling, sliding, session and count windows, watermarks,
// allowed lateness, early firings, and emit modes.
//
// Input rows: the key fields (WindowSpec::key_fields), the event-time field
// (ts_field, ns) and, for event time, the hidden watermark slot
// (watermark_slot) holding the watermark in effect just before the row
// (core/schema/row.h). The batch's watermark() is the watermark after its
// last row. Handling row r: first the operator's watermark advances to r's
// watermark slot, firing every window whose end - 1 <= watermark (in order of
// window end, then of the window's first row); then r is assigned. Because
// the watermark is read per row, results never depend on batch sizes.
//
// Output rows (out_width slots): key fields, window_start, window_end (ts,
// ns; for count windows the rows' sequence numbers within the key:
// [n, n + count)), one slot per aggregate (Accumulators::Emit), is_update
// (0/1: 1 when this window has emitted a result before), and, when
// out_watermark, the hidden watermark slot = the operator's watermark at
// emission (for event time the one it has passed on: results fired by a
// watermark advance carry the watermark before it, as Flink emits them
// before forwarding that watermark, so they are not late downstream).
//
// Lateness (event time): a row is late when its window's end - 1 +
// allowed_lateness <= the row's watermark slot (for sliding windows: its
// latest window; for sessions: the row's own [ts, ts + gap)). Late rows are
// dropped and counted in metrics().dropped; a graph routes them to a side
// output with a separate LateRowFilter (late_filter.h) using the same rule.
// A row that is behind the watermark but within the allowed lateness
// updates its window and, when emit is updates, re-fires it (is_update = 1).
// Window state is dropped once watermark >= end - 1 + allowed_lateness.
//
// Emit: kUpdates — a result when the watermark passes the window end, again
// for each late row within the lateness, and at early firings
// (early_every_rows rows into a window since its last result; early_every_ms
// of processing time, for every open window); kFinal — one result per
// window when watermark >= end - 1 + allowed_lateness (the window can no
// longer change), no early results.
//
// Processing-time windows use the clock (ms) instead of event time: a row
// belongs to the window of the clock's time when it is processed, windows
// fire from OnProcessingTime, nothing is late.
//
// Sliding windows keep panes of gcd(size, slide): each row updates one pane,
// and a window's result merges its panes (Accumulators::Merge). Session
// windows merge when a row bridges two sessions. End of input (Drain) is
// Flink's final watermark: every remaining window fires.
//
// Firing can produce more rows than fit in `out`; the rest waits in a
// preallocated queue (has_pending_output / Flush) and the task drains it
// before giving the operator more input. (Past state.capacity + 1024 rows
// in one batch, firing pauses until Flush; a late row arriving meanwhile
// may then be folded into a pending result instead of its own update.)
// Capacity: `state` bounds the number of live (key, pane/session/window)
// entries; overflow follows its policy (kFail stops the job with a message
// naming window.state.capacity).
// Nothing allocates after construction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/accumulators.h"
#include "core/runtime/operator.h"
#include "core/ops/window_spec.h"
#include "core/state/keyed_table.h"

namespace runnel::ops {

class WindowOperator : public runtime::Operator {
 public:
  // `clock` must outlive the operator.
  WindowOperator(const WindowSpec& spec, const Clock* clock);
  ~WindowOperator() override;

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;
  bool has_pending_output() const override;
  Status Flush(schema::RowBatch* out) override;
  int64_t next_processing_time_ms() const override;
  Status OnProcessingTime(int64_t now_ms, schema::RowBatch* out) override;
  Status Drain(schema::RowBatch* out, bool* done) override;
  runtime::OperatorMetrics metrics() const override;
  uint64_t footprint_bytes() const override;
  // Checkpoints: the tables and timer heaps as a state::StateImage, plus the
  // clocks, watermarks and counters.
  Checkpointing checkpointing() const override { return Checkpointing::kSnapshots; }
  void PrepareCheckpoints() override;
  bool Snapshot(bool full, runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  Status FinishRestore() override;
  size_t checkpoint_bytes() const override;
  // Rescaling: each key's windows, panes, sessions and timers to its new
  // instance; every instance takes the lowest clock and watermarks.
  // REQUIRES: `to` are WindowOperators.
  std::unique_ptr<runtime::Operator> NewInstance() const override;
  Status MoveStateTo(runtime::Operator* const* to, uint32_t count, bool first) override;
  // Bytes an operator for `spec` allocates, without allocating it (plan-time
  // memory checks).
  static uint64_t FootprintBytes(const WindowSpec& spec);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runnel::ops
