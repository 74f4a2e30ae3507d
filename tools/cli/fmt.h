// `runnel fmt GRAPH [-w] [--drop-comments]`: prints a JSON graph file in
// canonical form (docs/GRAPH.md, "Formatting"): fields in schema order, keys
// quoted, 2-space indent, one field or array element per line, fields the
// file leaves out still left out and those it writes (even at their default)
// kept. Comments before the opening `{` are kept as they are; FlatBuffers'
// parser drops all others, so a file with comments elsewhere is refused
// unless --drop-comments. fmt(fmt(x)) == fmt(x), and the result parses to
// the same graph as x. Environment variable references stay as written.
#pragma once

#include <string>

namespace runnel::cli {

struct FmtOptions {
  bool write = false;          // -w: replace the file (atomically) instead of printing
  bool drop_comments = false;  // lose the comments after the opening `{`
};

// Returns the process exit code: 0 formatted, 1 the file could not be
// written, 2 bad usage, a graph that does not parse, or comments in the way.
int Fmt(const std::string& graph_path, const FmtOptions& options);

}  // namespace runnel::cli
