// KeyedRows: the keyed state of an operator that keeps a few slots per key
// and decides row by row (dedupe, debounce): gathers each row's key, finds
// or inserts its entry in a KeyedTable under the table's overflow policy,
// and mirrors the table's counters for --stats.
//
// All memory is allocated by the constructor; Find, Erase and the metrics
// never allocate. The message of FullError is built only when the table is
// full (the job stops then). Not thread-safe, except metrics(): one
// operator instance, one thread.
#pragma once

#include <memory>
#include <string>

#include "core/common/status.h"
#include "core/ops/table_metrics.h"
#include "core/runtime/operator.h"
#include "core/schema/key_fields.h"
#include "core/schema/row.h"
#include "core/state/keyed_table.h"
#include "core/state/state_image.h"

namespace runnel::ops {

class KeyedRows {
 public:
  // `table.key_slots` is set from `key`. `kind` names the graph-file table
  // ("dedupe") whose state fields FullError points at.
  KeyedRows(schema::KeyFields key, state::KeyedTableOptions table, std::string kind);

  // Finds or inserts the entry of `row`'s key at processing time `now_ms`
  // (state.ttl_ms and evict_oldest follow it); sets *value on kFound and
  // kInserted. kDropped: skip the row (drop_new); kFull: return FullError().
  state::KeyedTable::Outcome FindOrInsert(const schema::Slot* row, int64_t now_ms,
                                          schema::Slot** value);
  // Forgets the entry of `row`'s key, if any.
  void Erase(const schema::Slot* row);

  Status FullError() const;
  // Copies the table's counters for metrics(); call after each batch.
  void PublishMetrics();
  runtime::OperatorMetrics metrics() const;
  uint64_t footprint_bytes() const { return table_.footprint_bytes(); }
  const state::KeyedTable& table() const { return table_; }
  state::KeyedTable* mutable_table() { return &table_; }
  const schema::KeyFields& key_fields() const { return key_fields_; }
  const std::string& kind() const { return kind_; }

 private:
  uint64_t Gather(const schema::Slot* row);

  schema::KeyFields key_fields_;
  state::KeyedTable table_;
  std::string kind_;
  std::unique_ptr<schema::Slot[]> key_;  // the current row's key
  TableMetrics table_metrics_;
};

// An operator whose whole state is one KeyedRows (dedupe, debounce): its
// metrics, footprint, checkpoints (the table as a state::StateImage) and
// rescaling (each entry to the instance of its key; subclasses make the
// NewInstance to restore into).
class KeyedRowsOperator : public runtime::Operator {
 public:
  runtime::OperatorMetrics metrics() const override { return state_.metrics(); }
  uint64_t footprint_bytes() const override { return state_.footprint_bytes(); }
  Checkpointing checkpointing() const override { return Checkpointing::kSnapshots; }
  void PrepareCheckpoints() override { image_.EnableTracking(); }
  bool Snapshot(bool full, runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  Status FinishRestore() override;
  size_t checkpoint_bytes() const override { return image_.MaxSnapshotBytes(0); }
  // REQUIRES: `to` are operators of this one's class.
  Status MoveStateTo(runtime::Operator* const* to, uint32_t count, bool first) override;

 protected:
  // `route_slots`: how many of the key's first fields are the stream's key,
  // by which the partitioner routes rows to instances.
  KeyedRowsOperator(schema::KeyFields key, uint32_t route_slots, state::KeyedTableOptions table,
                    std::string kind);

  KeyedRows state_;
  const uint32_t route_slots_;

 private:
  state::StateImage image_;
};

}  // namespace runnel::ops
