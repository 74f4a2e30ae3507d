// AggregateOperator: running aggregates per key (Flink's keyed
// aggregations), kept in a fixed-capacity KeyedTable.
//
// Each row updates its key's accumulators. With emit "updates" the operator
// emits the key's current results after every row (key fields, then one
// field per aggregate); with "final" it emits one row per key when the
// input ends. A key that does not fit follows the table's overflow policy:
// `fail` stops the job with a message saying which capacity to raise,
// `drop_new` and `evict_oldest` count what they discard. Keys not updated
// for the TTL (processing time) are forgotten. Process never allocates.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/accumulators.h"
#include "core/ops/table_metrics.h"
#include "core/runtime/operator.h"
#include "core/schema/key_fields.h"
#include "core/state/keyed_table.h"
#include "core/state/state_image.h"

namespace runnel::ops {

class AggregateOperator : public runtime::Operator {
 public:
  // `key` names the key fields of the input (none: one global key). `clock`
  // must outlive the operator. `watermark_in`/`watermark_out`: the hidden
  // watermark slots of input and output rows for event-time streams (-1:
  // none); an output row carries the watermark of the row that produced it.
  AggregateOperator(schema::KeyFields key, Accumulators accumulators,
                    bool emit_final, const state::KeyedTableOptions& table,
                    const Clock* clock, int watermark_in = -1, int watermark_out = -1);

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;
  Status Drain(schema::RowBatch* out, bool* done) override;
  runtime::OperatorMetrics metrics() const override;

  uint64_t footprint_bytes() const override { return table_.footprint_bytes(); }

  // Checkpoints: the table as a state::StateImage, and the last watermark.
  Checkpointing checkpointing() const override { return Checkpointing::kSnapshots; }
  void PrepareCheckpoints() override { image_.EnableTracking(); }
  bool Snapshot(bool full, runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  Status FinishRestore() override;
  size_t checkpoint_bytes() const override { return image_.MaxSnapshotBytes(sizeof(int64_t)); }
  // Rescaling: each key's accumulators to its new instance; every instance
  // takes the lowest last watermark. REQUIRES: `to` are AggregateOperators.
  std::unique_ptr<runtime::Operator> NewInstance() const override;
  Status MoveStateTo(runtime::Operator* const* to, uint32_t count, bool first) override;

 private:
  // Writes the key and results of one entry as an output row.
  void EmitRow(const schema::Slot* key, const schema::Slot* state, schema::Slot* out) const;

  schema::KeyFields key_fields_;
  Accumulators accumulators_;
  bool emit_final_;
  state::KeyedTable table_;
  const Clock* clock_;
  int watermark_in_;
  int watermark_out_;
  int64_t last_watermark_ = INT64_MIN;  // for rows emitted at the end
  std::unique_ptr<schema::Slot[]> key_;  // the current row's key, gathered
  uint32_t drain_cursor_;
  bool draining_ = false;
  TableMetrics table_metrics_;
  state::StateImage image_;
  std::string restored_;  // a restored checkpoint's last watermark
};

}  // namespace runnel::ops
