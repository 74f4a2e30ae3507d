// ProjectOperator: selects, reorders and renames fields.
//
// A projection is written in a graph file as a list of items, each "FIELD" or
// "FIELD as NAME". It is parsed against the input schema at plan time into
// the slot indices to copy; Process gathers those slots row by row.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"

namespace runnel::ops {

struct Projection {
  std::vector<uint32_t> source_fields;  // input index of each output field
  schema::Schema output;
};

// Parses the items against `input`. On failure the message starts with the
// index of the item at fault in brackets: "[2]: unknown field 'tmp' ...".
Result<Projection> ParseProjection(const std::vector<std::string>& items,
                                   const schema::Schema& input);

class ProjectOperator : public runtime::Operator {
 public:
  explicit ProjectOperator(std::vector<uint32_t> source_fields)
      : source_fields_(std::move(source_fields)) {}

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

 private:
  std::vector<uint32_t> source_fields_;
};

}  // namespace runnel::ops
