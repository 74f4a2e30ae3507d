// JsonSyntax: finds several syntax errors in one JSON graph text, where a
// parser would stop at the first.
//
// It checks the grammar of json_lexer.h (// and /* */ comments, trailing
// commas, bare words as keys and scalar values, single- or double-quoted
// strings), nothing about the schema or what is inside strings. After an error it
// skips the rest of that line, keeping track of the brackets it skips, and
// resumes as at the start of the next member or element. It stops, rather
// than guess, at a closing bracket that does not match (or the end of the
// text inside an open bracket) after an earlier error, so each error it
// reports is one a user would see if they fixed the ones before. At most one
// error per line. Setup-time only (it allocates); stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace runnel::graph {

struct JsonSyntaxError {
  int line;    // 1-based
  int column;  // 1-based, where the offending token starts
  std::string message;
};

// The first `max_errors` syntax errors of `text`, in text order; empty when
// its syntax is valid.
std::vector<JsonSyntaxError> FindJsonSyntaxErrors(std::string_view text, size_t max_errors);

}  // namespace runnel::graph
