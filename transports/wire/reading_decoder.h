// ReadingDecoder: turns a sensor's Reading message (wire.fbs, docs/WIRE.md
// "Readings") into one row of the receiver's schema, matching values to
// schema fields by name.
//
// A sym field takes the text value of its name; an f64 field the number of
// its name; an i64 field that number if it is a whole number in range; a
// bool field 0 or 1; a ts field the number of its name (ms since the
// epoch), else the reading's ts_ms. A missing field, a name given twice or
// a value that does not fit its field rejects the reading; unknown names
// are ignored. Decode never allocates (sym values are interned into a
// preallocated SymbolTable; the error goes into a fixed buffer). Not
// thread-safe; `symbols` must outlive the decoder.
#pragma once

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/frame_decoder.h"

namespace runnel::wire {

class ReadingDecoder {
 public:
  enum class Outcome {
    kOk,
    kBadReading,   // see error()
    kSymbolsFull,  // a new sym value did not fit in the SymbolTable
  };

  ReadingDecoder(schema::Schema schema, schema::SymbolTable* symbols);

  // REQUIRES: `message` is a kReading that FrameDecoder::Decode returned,
  // its data still alive. Writes row[0 .. schema.size()); on failure row is
  // partly written.
  Outcome Decode(const DecodedMessage& message, schema::Slot* row);

  // Why the last Decode failed, e.g. "field 'temp': missing".
  const char* error() const { return error_; }

 private:
  schema::Schema schema_;
  schema::SymbolTable* symbols_;
  char error_[256] = "";
};

}  // namespace runnel::wire
