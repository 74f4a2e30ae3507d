// GraphFile: one graph file, loaded and checked against core/graph/graph.fbs.
//
// Accepts the JSON text form (comments allowed) or the compiled binary form
// (FlatBuffers, identifier "RNLG"); either way the result is the same
// verified FlatBuffers Graph. Keeps what is needed to point later errors at
// file:line. Immutable once loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/graph/diagnostics.h"
#include "core/graph/graph_generated.h"
#include "core/graph/json_locator.h"

namespace runnel::graph {

class GraphFile {
 public:
  // Reads and parses `path`. On failure the Status message holds one
  // "file:line: field: message" line per problem.
  static Result<std::shared_ptr<const GraphFile>> Load(const std::string& path);

  // Parses `contents` as if read from `path` (tests, stdin).
  static Result<std::shared_ptr<const GraphFile>> Parse(std::string path,
                                                        std::string contents);

  const fb::Graph& graph() const { return *fb::GetGraph(buffer_.data()); }
  const std::string& path() const { return path_; }

  // `path` as written in the graph, made relative to the graph file's
  // directory unless it is absolute or "-" (standard input/output).
  std::string ResolvePath(const std::string& path) const;

  // The line `field_path` is on in the text form; 0 for the binary form.
  int LineOf(std::string_view field_path) const;

  // "file:line: field: message", one line per diagnostic.
  std::string Format(const Diagnostics& diagnostics) const;

 private:
  GraphFile(std::string path, std::vector<uint8_t> buffer,
            std::unique_ptr<JsonLocator> locator)
      : path_(std::move(path)),
        buffer_(std::move(buffer)),
        locator_(std::move(locator)) {}

  std::string path_;
  std::vector<uint8_t> buffer_;
  std::unique_ptr<JsonLocator> locator_;  // null for the binary form
};

// Whether `contents` is the compiled binary form of a graph.
bool IsCompiledGraph(std::string_view contents);

}  // namespace runnel::graph
