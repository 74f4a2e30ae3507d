// Lexer: splits an expression written in a graph file ("temp > 30.5",
// "device == 'dev-7'") into tokens. Used at plan time only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace runnel::expr {

enum class TokenKind {
  kIdentifier,  // a field name or keyword: temp, true, as
  kNumber,      // 30, -4, 2.5, 1e3
  kString,      // 'dev-7' or "dev-7", quotes removed
  kOperator,    // == != < <= > >=
  kPunct,       // ( ) ,
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string text;
  size_t offset;  // where it starts in the expression, for error messages
};

// All tokens of `text`, ending with a kEnd token; or an error naming the
// offending character's position.
Result<std::vector<Token>> Tokenize(std::string_view text);

}  // namespace runnel::expr
