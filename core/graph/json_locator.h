// JsonLocator: maps field paths in a JSON graph file to line numbers, so that
// errors found after parsing (a dangling stream name, an unknown field in a
// filter) can still point at file:line.
//
// It follows the tokens (json_lexer.h) and does not validate; the graph
// reader (graph_text.h) does. Built once per graph load.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace runnel::graph {

class JsonLocator {
 public:
  explicit JsonLocator(std::string_view text);

  // The line (1-based) where the value or key at `path` starts. For a path
  // that is not in the text, the line of its nearest ancestor that is;
  // 1 for the empty path.
  int LineOf(std::string_view path) const;

  // The path of the last key or value that starts at or before line:column
  // (1-based), e.g. to name the field a parser error points into.
  std::string PathAt(int line, int column) const;

 private:
  struct Place {
    std::string path;
    int line;
    int column;
  };
  std::vector<Place> entries_;  // every key and value, in text order
};

}  // namespace runnel::graph
