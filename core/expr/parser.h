// Parser: expression text -> Expression (syntax only; names and types are
// resolved by the checker, checker.h). Plan time only; it allocates.
//
// Grammar (keywords are case-insensitive; docs/GRAPH.md, Expressions):
//   expr    := or
//   or      := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | compare
//   compare := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum
//                  | "is" ["not"] "null"
//                  | ["not"] "in" "(" constant ("," constant)* ")" ]
//   sum     := product (("+" | "-") product)*
//   product := unary (("*" | "/" | "%") unary)*
//   unary   := "-" unary | primary
//   primary := NUMBER | STRING | "true" | "false" | NAME
//            | NAME "(" [expr ("," expr)*] ")" | "(" expr ")"
// Errors say what is wrong and where: "expected ')' at column 9, found ','".
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/expr/expression.h"

namespace runnel::expr {

Result<Expression> Parse(std::string_view text);

// An expression with an optional name after it: "EXPR" or "EXPR as NAME"
// (a project item). `name` is empty when there is none.
struct NamedExpression {
  Expression expression;
  std::string name;
};
Result<NamedExpression> ParseNamed(std::string_view text);

}  // namespace runnel::expr
