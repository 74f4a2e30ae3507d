// JsonlSource: reads rows from a JSON-lines file or standard input, one JSON
// object per line, decoded by JsonlDecoder (keys map onto schema fields by
// name). Empty lines are skipped silently; a line that does not fit the
// schema is reported as "file:line: ..." and skipped, or stops the job in
// strict mode. All buffers are allocated at construction; Read never
// allocates.
//
// Guarantee: a regular file is replayable (exactly-once with checkpoints):
// SavePosition records the offset and number of the next unread line, and a
// source restored from it continues at that line. Standard input and pipes
// are at-most-once.
#pragma once

#include <atomic>
#include <string>

#include "core/common/byte_count.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/file/line_position.h"
#include "transports/file/line_reader.h"
#include "transports/jsonl/jsonl_decoder.h"

namespace runnel::jsonl {

struct JsonlSourceOptions {
  std::string path;  // "-" for standard input
  bool strict = false;
  size_t max_line_bytes = file::LineReader::kDefaultBufferBytes;
  // The schema's event-time field, or -1: rows without it are rejected.
  int event_time_field = -1;
};

class JsonlSource : public runtime::Source {
 public:
  // `symbols` must outlive the source.
  JsonlSource(JsonlSourceOptions options, schema::Schema schema,
              schema::SymbolTable* symbols);

  Status Open() override;
  Status Read(schema::RowBatch* out, bool* done) override;
  bool Stop() override;
  uint64_t rejected() const override { return rejected_.load(std::memory_order_relaxed); }
  uint64_t footprint_bytes() const override { return FootprintBytes(options_); }
  // Bytes a source with `options` preallocates (line buffer and decoder; 64
  // bits on every target, core/common/byte_count.h).
  static uint64_t FootprintBytes(const JsonlSourceOptions& options) {
    return SaturatingAdd(options.max_line_bytes,
                         JsonlDecoder::FootprintBytes(options.max_line_bytes));
  }

  bool replayable() const override { return file::CanReplay(options_.path); }
  bool SavePosition(runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override { return file::LinePositionBytes(); }

 private:
  // Reports the line (error in `what`) as skipped, or fails in strict mode.
  Status Reject(uint64_t line, const char* what);

  JsonlSourceOptions options_;
  file::LineReader reader_;
  JsonlDecoder decoder_;
  bool restored_ = false;  // resume at restored_position_
  file::LinePosition restored_position_;
  std::atomic<uint64_t> rejected_{0};
  char error_[64] = "";
};

}  // namespace runnel::jsonl
