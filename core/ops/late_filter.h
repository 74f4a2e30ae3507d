// LateRowFilter: the late side output of a window (window.h). Keeps exactly
// the rows the WindowOperator with the same WindowSpec drops as late —
// IsLate(spec, row's event time, row's watermark slot) — unchanged (same
// schema and width as the input). Without a watermark slot, the watermark of
// the batches before is used, as the window does. Processing-time and count
// windows have no late rows. Never allocates after construction.
#pragma once

#include <cstdint>

#include "core/ops/window.h"
#include "core/runtime/operator.h"

namespace runnel::ops {

class LateRowFilter : public runtime::Operator {
 public:
  explicit LateRowFilter(const WindowSpec& spec);

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

  // Nothing to checkpoint: each output row depends on its input row only.

  Checkpointing checkpointing() const override { return Checkpointing::kStateless; }

 private:
  WindowSpec spec_;
  int64_t watermark_ = schema::RowBatch::kNoWatermark;
};

}  // namespace runnel::ops
