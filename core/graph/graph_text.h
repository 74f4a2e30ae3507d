// GraphText: converts between a graph's JSON text and its FlatBuffers form
// with the built-in schema (core/graph/graph.fbs), and writes the canonical
// JSON text of a graph that `runnel fmt` prints.
//
// Stateless free functions; each call builds its own FlatBuffers parser, so
// they are safe to call from any thread. Setup-time only (they allocate).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace runnel::graph {

struct JsonParseOptions {
  // Keep scalar and enum fields the text sets to their default value in the
  // buffer (normally a FlatBuffer leaves them out), so that GraphToJson
  // writes them back. `runnel fmt` uses it to keep what the user wrote.
  bool keep_written_defaults = false;
};

// Parses JSON `text` (comments and trailing commas allowed) against the graph
// schema into a finished buffer with the file identifier "RNLG". On a syntax
// or schema error: InvalidArgument holding FlatBuffers' own messages, one
// "LINE: COLUMN: error: MESSAGE" line each.
Result<std::vector<uint8_t>> ParseGraphJson(const std::string& text,
                                            const JsonParseOptions& options = {});

// The canonical JSON text of a verified graph buffer: fields in schema order,
// keys quoted, 2-space indent, one field or array element per line, empty
// tables as {}, UTF-8 text as is, fields absent from the buffer (those at
// their default) left out. Ends with a newline.
// REQUIRES: `buffer` passed fb::VerifyGraphBuffer.
Result<std::string> GraphToJson(const uint8_t* buffer);

}  // namespace runnel::graph
