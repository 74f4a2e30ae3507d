// GraphText: converts between a graph's JSON text and its FlatBuffers form
// with the built-in schema (core/graph/graph.fbs, compiled in as reflection
// data: graph_reflection.h), and writes the canonical JSON text of a graph
// that `runnel fmt` prints and checkpoints fingerprint.
//
// Stateless free functions, safe to call from any thread. Setup-time only
// (they allocate).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/graph/diagnostics.h"

namespace runnel::graph {

struct JsonParseOptions {
  // Keep scalar and enum fields the text sets to their default value in the
  // buffer (normally a FlatBuffer leaves them out), so that GraphToJson
  // writes them back. `runnel fmt` uses it to keep what the user wrote.
  bool keep_written_defaults = false;
};

// Parses JSON `text` against the graph schema into a finished buffer with the
// file identifier "RNLG". The text may have // and /* */ comments, trailing
// commas, bare keys and enum names, single-quoted strings, and hex integers;
// a null value leaves a field out.
//
// On errors: InvalidArgument whose message has one "LINE:COLUMN: PATH:
// MESSAGE" line per error (syntax errors, or else every schema error: an
// unknown field, a value of the wrong type or out of range, an unknown enum
// name, a field set twice, a required field missing). With `errors`, each
// is also added there as a Diagnostic.
Result<std::vector<uint8_t>> ParseGraphJson(std::string_view text,
                                            const JsonParseOptions& options = {},
                                            Diagnostics* errors = nullptr);

// The canonical JSON text of a verified graph buffer: fields in schema order,
// keys quoted, 2-space indent, one field or array element per line, empty
// tables and arrays as {} and [], enum values by name, UTF-8 text as is
// (control characters escaped), fields absent from the buffer (those at
// their default) left out. Ends with a newline.
//
// InvalidArgument for what only a compiled graph from elsewhere can hold: a
// string that is not UTF-8, an enum field holding a number its enum does not
// name, or tables shared so often that the text would pass
// kMaxJsonBytesPerBufferByte * size + kMaxJsonBytesBase bytes (a graph
// written by ParseGraphJson spells out to a few times its size).
// REQUIRES: `buffer` (`size` bytes) passed fb::VerifyGraphBuffer.
Result<std::string> GraphToJson(const uint8_t* buffer, size_t size);

inline constexpr size_t kMaxJsonBytesPerBufferByte = 16;
inline constexpr size_t kMaxJsonBytesBase = 64 << 10;

}  // namespace runnel::graph
