// Comparison: the condition of a filter, "FIELD OP VALUE" or "FIELD OP FIELD",
// e.g. "temp > 30.5", "device == 'dev-7'", "ts >= 1700000000000".
//
// Parsed and type-checked against the input schema at plan time, so the
// runtime never looks at names or text. Rules: numeric fields (i64, f64, ts)
// compare with numbers and each other; a number compared with a `ts` field is
// in that field's unit; bool compares with true/false and sym with a quoted
// string or another sym, both only by == and !=.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/schema/schema.h"

namespace runnel::expr {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Comparison {
  int lhs_field = -1;  // always a field of the input schema
  CompareOp op = CompareOp::kEq;
  int rhs_field = -1;  // a field, or -1 when the right side is a constant
  // The constant, when rhs_field is -1.
  enum class ConstantKind { kInt, kFloat, kSymbol } constant_kind = ConstantKind::kInt;
  int64_t int_constant = 0;   // i64, ns for ts, 0/1 for bool
  double float_constant = 0;  // f64, or a fractional number against an integer field
  std::string symbol_constant;  // interned when the operator is built
};

// Parses `text` against `schema`. The error message says what is wrong and
// where in the text, e.g. "unknown field 'tmp' (fields: device, ts, temp)".
Result<Comparison> ParseComparison(std::string_view text,
                                   const schema::Schema& schema);

}  // namespace runnel::expr
