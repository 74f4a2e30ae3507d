// JsonLocator: maps field paths in a JSON graph file to line numbers, so that
// errors found after parsing (a dangling stream name, an unknown field in a
// filter) can still point at file:line.
//
// It only tokenizes: strings, numbers, literals, brackets, and the // and
// /* */ comments FlatBuffers' JSON parser accepts. It does not validate;
// the FlatBuffers parser has done that already. Built once per graph load.
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

  struct Place {
    std::string path;
    int line;
    int column;
  };
  // The object whose closing '}' is the last one at or before line:column,
  // and where it starts (a parser that finds a required field missing says
  // so just past the '}' of the table that lacks it). False if none.
  bool ObjectClosedBy(int line, int column, Place* object) const;

 private:
  std::vector<Place> entries_;  // every key and value, in text order
  // Objects in the order they close: where each starts, and its '}'.
  struct Closed {
    Place start;
    int end_line;
    int end_column;
  };
  std::vector<Closed> closed_;
};

}  // namespace runnel::graph
