// CsvRow: turns the fields of one split CSV line (CsvFields) into a row of a
// schema: columns in schema order, or matched to schema fields by the names
// of a header line (other columns ignored). Used by the CSV file source and
// by zmq sources receiving CSV text frames.
//
// All memory is allocated by the constructor; MapHeader and Decode never
// allocate (sym values are interned into a preallocated SymbolTable), and
// their errors are written into a fixed buffer. Not thread-safe.
#pragma once

#include <vector>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/file/csv_fields.h"

namespace runnel::file {

class CsvRow {
 public:
  enum class Outcome {
    kOk,
    kBadLine,      // the line does not fit the schema; see error()
    kSymbolsFull,  // a new sym value did not fit in the SymbolTable
  };

  // `symbols` must outlive this. `event_time_field`: the schema's event-time
  // field (-1: none), which must not be empty.
  CsvRow(schema::Schema schema, schema::SymbolTable* symbols, int event_time_field = -1);

  // Columns come in schema order until MapHeader maps them by name.
  //
  // Maps each schema field to the column of `header` of its name. False,
  // with error() naming the missing field and the columns, if one has none.
  bool MapHeader(const CsvFields& header);

  // Decodes `fields` into row[0 .. schema.size()). An empty column is a null
  // (core/schema/null.h), but for a bool or the event-time field. On failure
  // row is partly written and error() says why, e.g. "column 'temp':
  // expected f64, found 'x'".
  Outcome Decode(const CsvFields& fields, schema::Slot* row);

  const char* error() const { return error_; }
  const schema::Schema& schema() const { return schema_; }

 private:
  schema::Schema schema_;
  schema::SymbolTable* symbols_;
  std::vector<size_t> column_of_field_;
  int event_time_field_;
  size_t expected_columns_ = 0;
  char error_[512] = "";
};

}  // namespace runnel::file
