// GraphFile: one graph file, loaded and checked against core/graph/graph.fbs.
//
// Accepts the JSON text form (comments allowed) or the compiled binary form
// (FlatBuffers, identifier "RNLG"); either way the result is the same
// verified FlatBuffers Graph. Keeps what is needed to point later errors at
// file:line. Immutable once loaded.
//
// With LoadOptions::substitute_env, `${NAME}`, `${NAME:-default}` and `$$`
// in string values are replaced from the environment after parsing, in both
// forms (a compiled graph keeps them as written, so every device that loads
// it fills in its own values; see env_substitution.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/graph/diagnostics.h"
#include "core/graph/env_substitution.h"
#include "core/graph/graph_generated.h"
#include "core/graph/json_locator.h"

namespace runnel::graph {

struct LoadOptions {
  // Substitute environment variables in string values. The runnel CLI does;
  // a program embedding Runnel decides for its own graphs.
  bool substitute_env = false;
  // Where variables are looked up; null: the process environment.
  EnvLookup env;
};

class GraphFile {
 public:
  // Reads and parses `path`. On failure the Status message holds one
  // "file:line: field: message" line per problem (every unset environment
  // variable, for instance).
  static Result<std::shared_ptr<const GraphFile>> Load(const std::string& path,
                                                       const LoadOptions& options = {});

  // Parses `contents` as if read from `path` (tests, stdin).
  static Result<std::shared_ptr<const GraphFile>> Parse(std::string path,
                                                        std::string contents,
                                                        const LoadOptions& options = {});

  const fb::Graph& graph() const { return *fb::GetGraph(buffer_.data()); }
  const std::string& path() const { return path_; }

  // The verified binary form (file identifier "RNLG"), after substitution
  // if it was asked for: what `runnel compile` writes.
  const std::vector<uint8_t>& buffer() const { return buffer_; }

  // `path` as written in the graph, made relative to the directory of the
  // file loaded (JSON or compiled) unless it is absolute or "-" (standard
  // input/output).
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

  // Replaces the buffer by one with environment variables substituted.
  Status SubstituteEnv(const EnvLookup& env);

  std::string path_;
  std::vector<uint8_t> buffer_;
  std::unique_ptr<JsonLocator> locator_;  // null for the binary form
};

// Whether `contents` is the compiled binary form of a graph.
bool IsCompiledGraph(std::string_view contents);

// The bytes of the graph file at `path`; InvalidArgument "PATH: cannot open
// graph file: REASON" (or "cannot read") when it cannot be read.
Result<std::string> ReadGraphFile(const std::string& path);

}  // namespace runnel::graph
