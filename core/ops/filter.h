// FilterOperator: keeps the rows for which a Comparison holds.
//
// The comparison is compiled at construction into a field index, an op and a
// constant (or second field) of the right representation; Process runs one
// tight loop per batch chosen by those, with no per-row dispatch or
// allocation.
#pragma once

#include <memory>

#include "core/expr/comparison.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace runnel::ops {

class FilterOperator : public runtime::Operator {
 public:
  // Interns a sym constant into `symbols`; fails if the table is full.
  // With `negate`, keeps the rows for which the comparison does not hold.
  static Result<std::unique_ptr<FilterOperator>> Make(
      const expr::Comparison& comparison, const schema::Schema& input,
      schema::SymbolTable* symbols, bool negate = false);

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

 private:
  // How the two sides are read: both as int64 slots, or as doubles (with an
  // integer side converted).
  enum class Mode { kIntConstant, kFloatConstant, kIntFields, kFloatFields };

  FilterOperator() = default;

  Mode mode_ = Mode::kIntConstant;
  bool negate_ = false;
  expr::CompareOp op_ = expr::CompareOp::kEq;
  uint32_t lhs_ = 0;
  uint32_t rhs_ = 0;
  bool lhs_is_float_ = false;
  bool rhs_is_float_ = false;
  int64_t int_constant_ = 0;
  double float_constant_ = 0;
};

}  // namespace runnel::ops
