// JsonTree: a JSON graph text as a tree of values, each knowing the line and
// column where it starts, for the schema reader (graph_text.h) to walk.
//
// Same grammar as json_lexer.h. Strings are unescaped (\" \' \\ \/ \b \f
// \n \r \t \xHH \uXXXX with surrogate pairs) and must be valid UTF-8 without
// NUL characters (graph strings become file names and C strings); words
// (numbers, true, false, null, bare enum names) are kept as written. Nesting
// is limited to kMaxJsonDepth levels. Setup-time only (it allocates).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/graph/json_syntax.h"

namespace runnel::graph {

inline constexpr int kMaxJsonDepth = 64;

struct JsonMember;

struct JsonValue {
  enum class Kind { kObject, kArray, kString, kWord };
  Kind kind = Kind::kWord;
  int line = 0;  // 1-based, where the value starts
  int column = 0;
  std::string text;                  // kString (unescaped), kWord
  std::vector<JsonMember> members;   // kObject, in text order
  std::vector<JsonValue> elements;   // kArray
};

struct JsonMember {
  std::string key;  // unescaped
  int line = 0;     // where the key starts
  int column = 0;
  JsonValue value;
};

// Parses `text` (one value, usually an object) into `root`. False on the
// first syntax error, described in `error`.
bool ParseJsonTree(std::string_view text, JsonValue* root, JsonSyntaxError* error);

}  // namespace runnel::graph
