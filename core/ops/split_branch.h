// SplitBranchOperator: one output of a split — the rows for which no
// earlier branch's condition holds and this branch's does (or, for a last
// branch without a condition, all the rest). Built from FilterOperators: the
// earlier conditions negated, then this one, over preallocated scratch
// batches. Process never allocates.
#pragma once

#include <memory>
#include <vector>

#include "core/ops/filter.h"

namespace runnel::ops {

class SplitBranchOperator : public runtime::Operator {
 public:
  // `earlier` are the conditions (checked bool expressions) of the branches
  // before this one; `own` is this branch's, or null for "the rest".
  // Scratch batches hold `batch_rows` rows of `width` slots (the input's,
  // hidden slots included).
  static Result<std::unique_ptr<SplitBranchOperator>> Make(
      const std::vector<expr::Expression>& earlier, const expr::Expression* own,
      uint32_t width, schema::SymbolTable* symbols, uint32_t batch_rows);

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

  // Nothing to checkpoint: each output row depends on its input row only.

  Checkpointing checkpointing() const override { return Checkpointing::kStateless; }
  uint64_t footprint_bytes() const override;  // the scratch batches
  // Bytes Make preallocates for `earlier` conditions (and `own`), without
  // allocating (plan-time memory checks).
  static uint64_t FootprintBytes(size_t earlier, bool own, uint32_t width, uint32_t batch_rows);

 private:
  SplitBranchOperator() = default;

  std::vector<std::unique_ptr<FilterOperator>> stages_;
  std::vector<std::unique_ptr<schema::RowBatch>> scratch_;  // between stages
};

}  // namespace runnel::ops
