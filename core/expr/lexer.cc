#include "core/expr/lexer.h"

#include <cctype>

namespace runnel::expr {
namespace {

bool IsIdentifierStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsIdentifierPart(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

std::string At(size_t offset) {
  return "at column " + std::to_string(offset + 1);
}

// Whether the token before ends a value, so a '-' after it subtracts.
bool EndsValue(const std::vector<Token>& tokens) {
  if (tokens.empty()) return false;
  const Token& last = tokens.back();
  switch (last.kind) {
    case TokenKind::kIdentifier:
    case TokenKind::kNumber:
    case TokenKind::kString:
      return true;
    case TokenKind::kPunct:
      return last.text == ")";
    default:
      return false;
  }
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    size_t start = i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (IsIdentifierStart(c)) {
      while (i < text.size() && IsIdentifierPart(text[i])) ++i;
      tokens.push_back({TokenKind::kIdentifier, std::string(text.substr(start, i - start)), start});
    } else if (IsDigit(c) || (c == '.' && i + 1 < text.size() && IsDigit(text[i + 1])) ||
               (c == '-' && !EndsValue(tokens) && i + 1 < text.size() &&
                (IsDigit(text[i + 1]) || text[i + 1] == '.'))) {
      ++i;
      while (i < text.size() &&
             (IsDigit(text[i]) || text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
              ((text[i] == '-' || text[i] == '+') && (text[i - 1] == 'e' || text[i - 1] == 'E')))) {
        ++i;
      }
      tokens.push_back({TokenKind::kNumber, std::string(text.substr(start, i - start)), start});
    } else if (c == '\'' || c == '"') {
      size_t close = text.find(c, i + 1);
      if (close == std::string_view::npos) {
        return InvalidArgument("unterminated string " + At(start));
      }
      tokens.push_back({TokenKind::kString, std::string(text.substr(i + 1, close - i - 1)), start});
      i = close + 1;
    } else if (c == '(' || c == ')' || c == ',') {
      tokens.push_back({TokenKind::kPunct, std::string(1, c), start});
      ++i;
    } else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '%') {
      tokens.push_back({TokenKind::kOperator, std::string(1, c), start});
      ++i;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      bool two = i + 1 < text.size() && text[i + 1] == '=';
      std::string op(text.substr(i, two ? 2 : 1));
      if (op == "=" || op == "!") {
        return InvalidArgument("unknown operator '" + op + "' " + At(start) +
                               (op == "=" ? " (to compare, write ==)" : " (to negate, write not)"));
      }
      tokens.push_back({TokenKind::kOperator, op, start});
      i += op.size();
    } else {
      return InvalidArgument(std::string("unexpected character '") + c + "' " + At(start));
    }
  }
  tokens.push_back({TokenKind::kEnd, "", text.size()});
  return tokens;
}

}  // namespace runnel::expr
