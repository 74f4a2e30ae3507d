// ProcessOperator<Fn>: runs a keyed process function (process_function.h)
// as an operator. Fn is called through the template, so there is one
// virtual call per batch (Process) and none per row.
//
// Each row makes its key current and calls Fn::ProcessElement; afterwards
// the context's recorded problems (state or timers full, too many rows
// emitted) become the batch's Status, naming what to raise. Processing-time
// timers fire from OnProcessingTime as the clock passes them; event-time
// timers fire in Drain at the end of input (the final watermark).
#pragma once

#include <climits>
#include <memory>
#include <utility>
#include <vector>

#include "core/ops/process_context.h"
#include "core/ops/table_metrics.h"
#include "core/runtime/operator.h"

namespace runnel::ops {

template <typename Fn>
class ProcessOperator : public runtime::Operator {
 public:
  ProcessOperator(Fn fn, schema::KeyFields key_fields, const state::KeyedTableOptions& table,
                  uint32_t timer_capacity, const Clock* clock)
      : fn_(std::move(fn)), ctx_(std::move(key_fields), table, timer_capacity, clock) {}

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override {
    ctx_.BeginBatch(out);
    for (uint32_t r = 0; r < in.size(); ++r) {
      const schema::Slot* row = in.row(r);
      ctx_.SetKeyFromRow(row);
      fn_.ProcessElement(row, ctx_);
    }
    return Finish();
  }

  int64_t next_processing_time_ms() const override { return ctx_.next_processing_timer(); }

  Status OnProcessingTime(int64_t now_ms, schema::RowBatch* out) override {
    return FireTimers(TimeDomain::kProcessingTime, now_ms, out);
  }

  Status Drain(schema::RowBatch* out, bool* done) override {
    RUNNEL_RETURN_IF_ERROR(FireTimers(TimeDomain::kEventTime, INT64_MAX, out));
    *done = !out->full();
    return Status::Ok();
  }

  runtime::OperatorMetrics metrics() const override {
    return table_metrics_.Read(ctx_.table().capacity());
  }

  uint64_t footprint_bytes() const override { return ctx_.footprint_bytes(); }

 private:
  // Fires due timers of `domain` while the output has room (a full batch
  // leaves the rest for the next call).
  Status FireTimers(TimeDomain domain, int64_t up_to, schema::RowBatch* out) {
    ctx_.BeginBatch(out);
    int64_t time;
    while (!out->full() && ctx_.PopTimer(domain, up_to, &time)) {
      fn_.OnTimer(time, domain, ctx_);
    }
    return Finish();
  }

  Status Finish() {
    table_metrics_.Publish(ctx_.table());
    return ctx_.TakeProblem();
  }

  Fn fn_;
  ProcessContext ctx_;
  TableMetrics table_metrics_;
};

}  // namespace runnel::ops
