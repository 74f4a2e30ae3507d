// Checker: resolves an Expression's field names against the input schema
// and gives every node a type, with the promotion rules of docs/GRAPH.md
// (Expressions): i64 with f64 computes in f64; a number compared with a ts
// is a whole number in that ts's unit; sym and bool compare only by == and
// !=. Plan time only; it allocates.
//
// Errors say what is wrong and where in the text:
//   "unknown field 'tmp' at column 5 (fields: device, ts, temp)"
//   "cannot compare sym field 'device' with the number 3 at column 8
//    (expected a quoted string)"
#pragma once

#include <string_view>

#include "core/common/status.h"
#include "core/expr/expression.h"
#include "core/schema/schema.h"

namespace runnel::expr {

// Checks a parsed expression against `input`; the result has every node
// checked.
Result<Expression> Check(Expression expression, const schema::Schema& input);

// Parse() then Check().
Result<Expression> ParseExpression(std::string_view text, const schema::Schema& input);

// ParseExpression() of a condition (a filter, a split branch's `when`):
// the result must be bool.
Result<Expression> ParseCondition(std::string_view text, const schema::Schema& input);

// The names Check() knows as functions, "abs, ceil, ...", for messages.
const char* FunctionNames();

}  // namespace runnel::expr
