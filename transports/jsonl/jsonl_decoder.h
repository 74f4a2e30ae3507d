// JsonlDecoder: decodes one JSON-lines record (a JSON object on one line)
// into a row of a schema, with Runnel's own JsonObjectScanner
// (json_object_scanner.h).
//
// Keys map onto schema fields by name (escaped keys are compared
// unescaped); unknown keys are ignored whatever their value (nested objects
// and arrays included, checked but not kept). Each schema field needs a
// value of its type: i64 a JSON integer; f64 any JSON number; bool true or
// false; ts an integer in the field's unit; sym a string (escapes and
// unicode are unescaped before interning). A missing key or a JSON null is
// a null (core/schema/null.h), except for a bool field, which has none, and
// the event-time field, which every row needs. Those, a value of the wrong
// type or out of range, a repeated key, or malformed JSON (RFC 8259, also in
// the values skipped) reject the line, with error() saying which field and
// why.
//
// The scanner's line buffer is allocated at construction for lines up to
// max_line_bytes; Decode never allocates (sym values are interned into a
// preallocated SymbolTable). Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/common/byte_count.h"
#include "core/schema/null.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/jsonl/json_object_scanner.h"

namespace runnel::jsonl {

class JsonlDecoder {
 public:
  enum class Outcome {
    kOk,
    kBadLine,      // the line does not fit the schema; see error()
    kSymbolsFull,  // a new sym value did not fit in the SymbolTable
  };

  // `symbols` must outlive the decoder. `event_time_field`: the schema's
  // event-time field, or -1.
  JsonlDecoder(schema::Schema schema, schema::SymbolTable* symbols,
               size_t max_line_bytes, int event_time_field = -1);

  JsonlDecoder(const JsonlDecoder&) = delete;
  JsonlDecoder& operator=(const JsonlDecoder&) = delete;

  // Decodes `line` (without its line break; a trailing \r is ignored) into
  // row[0 .. schema.size()). On failure row is partly written.
  Outcome Decode(std::string_view line, schema::Slot* row);

  // Why the last Decode failed, e.g. "field 'temp': expected a number".
  const char* error() const { return error_; }
  const schema::Schema& schema() const { return schema_; }
  size_t max_line_bytes() const { return max_line_bytes_; }

  // Bytes a decoder for lines of `max_line_bytes` preallocates that grow
  // with the line: the scanner's copy of it (with a NUL), in which strings
  // are unescaped. 64 bits on every target (core/common/byte_count.h).
  static uint64_t FootprintBytes(uint64_t max_line_bytes) {
    return JsonObjectScanner::FootprintBytes(max_line_bytes);
  }

 private:
  // Reads the value of schema field `f` at the scanner's cursor into *slot.
  Outcome DecodeValue(uint32_t f, schema::Slot* slot);
  // Sets error_ for malformed JSON (`f`: the field being read, or -1).
  Outcome Malformed(int f = -1);
  // Sets error_ for a value of field `f` of the wrong type.
  Outcome WrongType(uint32_t f, bool out_of_range = false);
  // The value at the cursor is of another kind than field `f` takes: the
  // line is rejected as WrongType once the value proves well-formed JSON.
  Outcome OtherKind(uint32_t f);

  // Whether field `f` may be null (missing or JSON null).
  bool Nullable(uint32_t f) const {
    return schema::IsNullable(schema_.field(f).type) && static_cast<int>(f) != event_time_field_;
  }

  schema::Schema schema_;
  schema::SymbolTable* symbols_;
  size_t max_line_bytes_;
  int event_time_field_;
  JsonObjectScanner scanner_;
  std::vector<uint8_t> seen_;  // per field, during one Decode
  std::vector<std::string_view> names_;  // the schema's field names
  uint32_t next_field_ = 0;  // where the next key is looked for first
  char error_[256] = "";
};

}  // namespace runnel::jsonl
