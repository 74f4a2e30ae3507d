#include "core/ops/split_branch.h"

#include "core/common/byte_count.h"

namespace runnel::ops {

Result<std::unique_ptr<SplitBranchOperator>> SplitBranchOperator::Make(
    const std::vector<expr::Expression>& earlier, const expr::Expression* own, uint32_t width,
    schema::SymbolTable* symbols, uint32_t batch_rows) {
  std::unique_ptr<SplitBranchOperator> op(new SplitBranchOperator());
  for (const expr::Expression& c : earlier) {
    auto stage = FilterOperator::Make(c, symbols, /*negate=*/true);
    if (!stage.ok()) return stage.status();
    op->stages_.push_back(std::move(stage.value()));
  }
  if (own != nullptr) {
    auto stage = FilterOperator::Make(*own, symbols);
    if (!stage.ok()) return stage.status();
    op->stages_.push_back(std::move(stage.value()));
  }
  for (size_t i = 0; i + 1 < op->stages_.size(); ++i) {
    op->scratch_.push_back(std::make_unique<schema::RowBatch>(width, batch_rows));
  }
  return op;
}

uint64_t SplitBranchOperator::FootprintBytes(size_t earlier, bool own, uint32_t width,
                                             uint32_t batch_rows) {
  const uint64_t stages = uint64_t{earlier} + (own ? 1 : 0);
  return stages > 1 ? SaturatingMul(stages - 1, schema::RowBatch::SlotBytes(width, batch_rows))
                    : 0;
}

uint64_t SplitBranchOperator::footprint_bytes() const {
  return scratch_.empty()
             ? 0
             : SaturatingMul(scratch_.size(), schema::RowBatch::SlotBytes(
                                                  scratch_[0]->width(), scratch_[0]->capacity()));
}

Status SplitBranchOperator::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  if (stages_.empty()) {  // a lone default branch takes everything
    for (uint32_t i = 0; i < in.size(); ++i) out->AppendCopy(in.row(i));
    return Status::Ok();
  }
  const schema::RowBatch* from = &in;
  for (size_t i = 0; i < stages_.size(); ++i) {
    schema::RowBatch* to = i + 1 == stages_.size() ? out : scratch_[i].get();
    to->Clear();
    RUNNEL_RETURN_IF_ERROR(stages_[i]->Process(*from, to));
    from = to;
  }
  return Status::Ok();
}

}  // namespace runnel::ops
