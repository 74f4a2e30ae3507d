// JsonLexer: splits a JSON graph text into tokens, in the grammar graph
// files may use: JSON plus // and /* */ comments, bare words (keys, numbers,
// true/false/null, enum names) and single- or double-quoted strings. Each
// token carries its 1-based line and column. Shared by the syntax checker
// (json_syntax.h) and the tree builder (json_tree.h). Setup-time only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runnel::graph {

enum class JsonTok {
  kOpenObject,
  kCloseObject,
  kOpenArray,
  kCloseArray,
  kColon,
  kComma,
  kString,  // text: what is between the quotes, escapes as written
  kWord,    // text: the bare word
  kEnd,
  kBad,  // text: what is wrong
};

struct JsonToken {
  JsonTok kind;
  int line;
  int column;
  std::string text;
};

class JsonLexer {
 public:
  explicit JsonLexer(std::string_view text) : text_(text) {}

  // The next token; kEnd at the end of the text, and from then on.
  JsonToken Next();

 private:
  int Column() const { return static_cast<int>(pos_ - line_start_) + 1; }
  void NewLine();
  void SkipSpaceAndComments();
  JsonToken String(JsonToken t, char quote);

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  std::string bad_comment_;  // an unterminated comment, reported once
  int bad_line_ = 0;
  int bad_column_ = 0;
};

// What `t` is, for an error message: "'{'", "\"name\"", "'i64'", ...
std::string DescribeJsonToken(const JsonToken& t);

// `s` for an error message: its first 24 bytes (whole UTF-8 characters) and
// "..." when it is longer.
std::string Abbreviated(std::string_view s);

// Appends `s` as the inside of a JSON string: quotes and backslashes escaped,
// control characters as \n, \t, ... or \u00XX; the rest (UTF-8) as is.
void AppendEscaped(std::string_view s, std::string* out);

}  // namespace runnel::graph
