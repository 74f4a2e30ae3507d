// CsvSource: reads rows from a CSV file or standard input.
//
// With a header line, schema fields are matched to columns by name (extra
// columns are ignored); without one, columns are taken in schema order. An
// empty cell is a null (core/schema/null.h), except for a bool field, which
// has none, and the event-time field, which every row needs. A line that
// does not fit the schema is reported as "file:line: ..." and skipped, or
// stops the job in strict mode. All buffers are allocated at
// construction; Read never allocates.
//
// Guarantee: a regular file is replayable (exactly-once with checkpoints):
// SavePosition records the offset and number of the next unread line, and a
// source restored from it re-reads the header (to map the columns again)
// then continues at that line. Standard input and pipes are at-most-once.
#pragma once

#include <atomic>
#include <string>

#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/file/csv_fields.h"
#include "transports/file/csv_row.h"
#include "transports/file/line_position.h"
#include "transports/file/line_reader.h"

namespace runnel::file {

struct CsvSourceOptions {
  std::string path;  // "-" for standard input
  bool header = true;
  char delimiter = ',';
  bool strict = false;
  size_t max_line_bytes = LineReader::kDefaultBufferBytes;
  // The schema's event-time field, or -1: rows without it are rejected.
  int event_time_field = -1;
};

class CsvSource : public runtime::Source {
 public:
  // `symbols` must outlive the source.
  CsvSource(CsvSourceOptions options, schema::Schema schema,
            schema::SymbolTable* symbols);

  // Opens the input; the header (if any) is read by the first Read, so a
  // job waiting for a pipe can still be stopped.
  Status Open() override;
  Status Read(schema::RowBatch* out, bool* done) override;
  bool Stop() override;
  uint64_t rejected() const override { return rejected_.load(std::memory_order_relaxed); }
  uint64_t footprint_bytes() const override { return FootprintBytes(options_); }
  // Bytes a source with `options` preallocates (the line and field buffers;
  // 64 bits on every target, core/common/byte_count.h).
  static uint64_t FootprintBytes(const CsvSourceOptions& options) {
    return 2 * uint64_t{options.max_line_bytes};
  }

  bool replayable() const override { return CanReplay(options_.path); }
  bool SavePosition(runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override { return LinePositionBytes(); }

 private:
  // Maps schema fields to the header's columns. *idle: no line yet.
  Status ReadHeader(bool* idle);
  // Reports the line in error_ as skipped, or fails in strict mode.
  Status Reject(uint64_t line);

  CsvSourceOptions options_;
  LineReader reader_;
  CsvFields fields_;
  CsvRow row_;
  bool header_pending_ = false;
  bool restored_ = false;  // resume at restored_position_
  LinePosition restored_position_;
  bool stopping_ = false;
  std::atomic<uint64_t> rejected_{0};
  char error_[512] = "";
};

}  // namespace runnel::file
