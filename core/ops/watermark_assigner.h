// WatermarkAssigner: gives each row of an event-time source the watermark
// in effect just before it — Flink's bounded out-of-orderness, advanced as
// if a watermark followed every record: after a row, watermark = largest
// event time so far - max_out_of_orderness - 1 (ns; Flink's "- 1 ms" is one
// unit of its ms clock, this is one unit of ours, and window results are the
// same). Writes it into the row's hidden watermark slot and the watermark
// after the batch's last row into the batch. Deterministic: it depends only
// on the order of the rows.
//
// A source may also set a watermark on its batches (a zmq source: the
// producers' own). Then the watermark never lags it: rows after such a
// batch and the batch's end take the larger of the two.
#pragma once

#include <cstdint>

#include "core/runtime/operator.h"

namespace runnel::ops {

class WatermarkAssigner : public runtime::Operator {
 public:
  // `ts_field`: the event-time field; `watermark_slot`: the hidden slot.
  WatermarkAssigner(uint32_t ts_field, uint32_t watermark_slot, int64_t max_out_of_orderness_ns)
      : ts_field_(ts_field), watermark_slot_(watermark_slot), bound_(max_out_of_orderness_ns) {}

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;
  // Checkpoints: the largest event time seen and the source's watermark.
  Checkpointing checkpointing() const override { return Checkpointing::kSnapshots; }
  bool Snapshot(bool full, runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override;

 private:
  int64_t Watermark() const;

  uint32_t ts_field_;
  uint32_t watermark_slot_;
  int64_t bound_;
  int64_t max_ts_ = INT64_MIN;
  int64_t upstream_ = INT64_MIN;  // newest watermark the source set
};

}  // namespace runnel::ops
