// ProjectOperator: selects, reorders and renames fields, and computes new
// ones.
//
// A projection is written in a graph file as a list of items: "FIELD",
// "FIELD as NAME" or "EXPR as NAME" (an expression, core/expr). It is parsed
// and checked against the input schema at plan time; Process copies the
// selected slots row by row, then evaluates each computed field over the
// whole batch into its output column. Nothing allocates after Make.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/expr/expression.h"
#include "core/expr/program.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace runnel::ops {

struct Projection {
  // Per output field: the input index it copies, or -1 when computed.
  std::vector<int> source_fields;
  // Per output field: the checked expression of a computed field (empty
  // for a copied one).
  std::vector<expr::Expression> expressions;
  schema::Schema output;
};

// Parses the items against `input`. On failure the message starts with the
// index of the item at fault in brackets: "[2]: unknown field 'tmp' ...".
Result<Projection> ParseProjection(const std::vector<std::string>& items,
                                   const schema::Schema& input);

class ProjectOperator : public runtime::Operator {
 public:
  // `hidden_slot`: an input slot past the schema's fields that rides along
  // after the projected fields (the event-time watermark), or -1. Interns
  // the quoted strings of computed fields into `symbols`.
  static Result<std::unique_ptr<ProjectOperator>> Make(const Projection& projection,
                                                       int hidden_slot,
                                                       schema::SymbolTable* symbols);

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

  // Nothing to checkpoint: each output row depends on its input row only.

  Checkpointing checkpointing() const override { return Checkpointing::kStateless; }

 private:
  struct Computed {
    uint32_t output_field;
    expr::Program program;
  };

  ProjectOperator() = default;

  // Output slot k copies input slot copies_[k].second into copies_[k].first.
  std::vector<std::pair<uint32_t, uint32_t>> copies_;
  std::vector<Computed> computed_;
};

}  // namespace runnel::ops
