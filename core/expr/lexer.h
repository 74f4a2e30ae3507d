// Lexer: splits an expression written in a graph file ("temp > 30.5",
// "device == 'dev-7'", "abs(a - b) * 2") into tokens. Used at plan time
// only; it allocates.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace runnel::expr {

enum class TokenKind {
  kIdentifier,  // a field, function or keyword: temp, abs, and, true
  kNumber,      // 30, -4, 2.5, 1e3 (a leading '-' only where no value ends)
  kString,      // 'dev-7' or "dev-7", quotes removed, no escapes
  kOperator,    // == != < <= > >= + - * / %
  kPunct,       // ( ) ,
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string text;
  size_t offset;  // where it starts in the expression, for error messages
};

// All tokens of `text`, ending with a kEnd token; or an error naming the
// offending character's position ("at column N", 1-based).
//
// A '-' directly before a digit is the sign of a number when no value ends
// just before it (at the start, after an operator, '(' or ','): "x > -2" has
// the number -2, "x-2" is x minus 2.
Result<std::vector<Token>> Tokenize(std::string_view text);

}  // namespace runnel::expr
