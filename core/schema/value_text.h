// Converts field values between text (CSV, logs) and row slots.
//
// Parsing and formatting never allocate: they read from string_views and
// write into caller-provided buffers. A value that does not fit its field's
// type is rejected, never guessed at.
#pragma once

#include <string_view>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace runnel::schema {

enum class ParseOutcome {
  kOk,
  kBadValue,     // text is not a value of the field's type
  kEmpty,        // no text at all: a missing value (the caller decides
                 // whether that is a null or an error; *slot is unchanged)
  kSymbolsFull,  // a new sym value did not fit in the SymbolTable
};

// Parses `text` as a value of `field` into *slot. `ts` values are read in the
// field's unit and stored in ns; sym values are interned into `symbols`.
ParseOutcome ParseValue(std::string_view text, const Field& field,
                        SymbolTable* symbols, Slot* slot);

// Writes `slot` as text for `field` into [out, end) and returns the end of
// what was written, or nullptr if it does not fit. f64 uses the shortest text
// that reads back to the same double; ts is written in the field's unit; a
// null (core/schema/null.h) is written as nothing, the empty text that
// ParseValue reports as kEmpty.
char* FormatValue(Slot slot, const Field& field, const SymbolTable& symbols,
                  char* out, char* end);

}  // namespace runnel::schema
