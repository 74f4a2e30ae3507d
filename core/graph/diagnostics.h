// Diagnostics: the errors found in one graph file, collected so that `check`
// can report several at once. Each names the field path that is wrong
// (`operators[3].filter`) and what was expected; the file and line are added
// when they are formatted against the GraphFile they came from.
#pragma once

#include <string>
#include <vector>

namespace runnel::graph {

struct Diagnostic {
  std::string field_path;  // "operators[1].filter"; empty for the whole file
  std::string message;
  int line = 0;    // when known without the path (parser errors); else 0
  int column = 0;  // likewise
};

class Diagnostics {
 public:
  void Add(std::string field_path, std::string message) {
    items_.push_back({std::move(field_path), std::move(message), 0, 0});
  }
  void Add(Diagnostic diagnostic) { items_.push_back(std::move(diagnostic)); }

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace runnel::graph
