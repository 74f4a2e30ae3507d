// FilterOperator: keeps the rows for which a condition holds.
//
// The condition is an expression (core/expr, docs/GRAPH.md Expressions)
// checked at plan time and compiled into a Program; Process evaluates it a
// chunk of rows at a time, then copies the rows that pass, with no per-row
// dispatch or allocation.
#pragma once

#include <memory>

#include "core/expr/expression.h"
#include "core/expr/program.h"
#include "core/runtime/operator.h"
#include "core/schema/symbol_table.h"

namespace runnel::ops {

class FilterOperator : public runtime::Operator {
 public:
  // `condition`: a checked bool expression over the input's fields (e.g.
  // from expr::ParseCondition). Interns its quoted strings into `symbols`;
  // fails if the table is full. With `negate`, keeps the rows for which the
  // condition does not hold.
  static Result<std::unique_ptr<FilterOperator>> Make(const expr::Expression& condition,
                                                      schema::SymbolTable* symbols,
                                                      bool negate = false);

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

  // Nothing to checkpoint: each output row depends on its input row only.

  Checkpointing checkpointing() const override { return Checkpointing::kStateless; }

 private:
  FilterOperator(expr::Program program, bool negate)
      : program_(std::move(program)), negate_(negate) {}

  expr::Program program_;
  bool negate_;
};

}  // namespace runnel::ops
