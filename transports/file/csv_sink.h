// CsvSink: writes rows as CSV to a file or standard output.
//
// Values are formatted by core/schema/value_text (ts in its field's unit,
// f64 in the shortest exact form); a null is an empty cell; a sym value
// holding the delimiter, a quote or a line break is quoted. Rows are buffered and written in large chunks;
// Write never allocates. Guarantee: rows are written once, in order; the file
// is complete when Close succeeds (transactional part files come with
// checkpoints).
#pragma once

#include <string>

#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/file/file_writer.h"

namespace runnel::file {

struct CsvSinkOptions {
  std::string path;  // "-" for standard output
  bool header = true;
  char delimiter = ',';
};

class CsvSink : public runtime::Sink {
 public:
  // `symbols` must outlive the sink.
  CsvSink(CsvSinkOptions options, schema::Schema schema,
          const schema::SymbolTable* symbols);

  Status Open() override;
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  size_t footprint_bytes() const override { return writer_.buffer_bytes(); }
  // Bytes a sink preallocates (its output buffer).
  static size_t FootprintBytes() { return FileWriter::kDefaultBufferBytes; }

 private:
  // Appends `text`, quoted if it needs to be. Returns false when it cannot
  // fit in one buffer or the flush failed.
  bool AppendText(std::string_view text);
  bool AppendChar(char c);
  bool AppendRow(const schema::Slot* row);

  CsvSinkOptions options_;
  schema::Schema schema_;
  const schema::SymbolTable* symbols_;
  FileWriter writer_;
};

}  // namespace runnel::file
