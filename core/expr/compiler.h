// Compiler: a checked Expression (checker.h) -> a Program (program.h).
//
// Plan time: emits the postfix code with the promotions the checker chose
// (an i64 operand of an f64 operation gets an i64 -> f64 conversion),
// interns every quoted string into the job's SymbolTable, and sizes the
// program's column stack. After this nothing looks at names or text.
#pragma once

#include "core/common/status.h"
#include "core/expr/expression.h"
#include "core/expr/program.h"
#include "core/schema/symbol_table.h"

namespace runnel::expr {

// REQUIRES: `expression` was returned by Check() (every node checked).
// Fails (kResourceExhausted) only if a string does not fit in `symbols`.
Result<Program> Compile(const Expression& expression, schema::SymbolTable* symbols);

}  // namespace runnel::expr
