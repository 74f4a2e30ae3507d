// The checkpoint record of a line-oriented file source (CSV, JSON lines):
// where the next unread line starts and how many lines came before it, so a
// resumed source reports the same line numbers as a straight read.
//
// One record, key "position", value 16 bytes: u64 byte offset, u64 line
// number, both little-endian. SaveLinePosition runs on the hot path and
// does not allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/runtime/state_buffer.h"
#include "transports/file/line_reader.h"

namespace runnel::file {

struct LinePosition {
  uint64_t offset = 0;
  uint64_t line_number = 0;
};

// Bytes SaveLinePosition writes (Source::checkpoint_bytes).
size_t LinePositionBytes();

// Writes the position of the line `reader` returns next. False when `out`
// is full.
bool SaveLinePosition(const LineReader& reader, runtime::StateBuffer* out);

// Reads a record SaveLinePosition wrote; an error names `path` and what is
// wrong with the record.
Status ParseLinePosition(const std::string& path, std::string_view key, std::string_view value,
                         LinePosition* position);

// Whether a source reading `path` can replay: not standard input, and not a
// pipe or device (a path that does not exist yet counts as a file; Open
// reports it).
bool CanReplay(const std::string& path);

}  // namespace runnel::file
