#include "transports/file/csv_row.h"

#include <cstdio>

#include "core/schema/null.h"
#include "core/schema/value_text.h"

namespace runnel::file {

using schema::ParseOutcome;

CsvRow::CsvRow(schema::Schema schema, schema::SymbolTable* symbols, int event_time_field)
    : schema_(std::move(schema)),
      symbols_(symbols),
      column_of_field_(schema_.size()),
      event_time_field_(event_time_field),
      expected_columns_(schema_.size()) {
  for (size_t f = 0; f < column_of_field_.size(); ++f) column_of_field_[f] = f;
}

bool CsvRow::MapHeader(const CsvFields& header) {
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    const std::string& name = schema_.field(f).name;
    size_t c = 0;
    while (c < header.size() && header[c] != name) ++c;
    if (c == header.size()) {
      int n = snprintf(error_, sizeof(error_),
                       "header has no column '%s' for schema field %u (columns: ", name.c_str(),
                       f);
      for (size_t i = 0; i < header.size() && n >= 0 && size_t(n) < sizeof(error_); ++i) {
        n += snprintf(error_ + n, sizeof(error_) - n, "%s%.*s", i ? ", " : "",
                      static_cast<int>(header[i].size()), header[i].data());
      }
      if (n >= 0 && size_t(n) < sizeof(error_)) snprintf(error_ + n, sizeof(error_) - n, ")");
      return false;
    }
    column_of_field_[f] = c;
  }
  expected_columns_ = header.size();
  return true;
}

CsvRow::Outcome CsvRow::Decode(const CsvFields& fields, schema::Slot* row) {
  if (fields.size() != expected_columns_) {
    snprintf(error_, sizeof(error_), "expected %zu columns, found %zu", expected_columns_,
             fields.size());
    return Outcome::kBadLine;
  }
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    const schema::Field& field = schema_.field(f);
    std::string_view text = fields[column_of_field_[f]];
    switch (schema::ParseValue(text, field, symbols_, &row[f])) {
      case ParseOutcome::kOk:
        break;
      case ParseOutcome::kEmpty:
        if (!schema::IsNullable(field.type)) {
          snprintf(error_, sizeof(error_), "column '%s' is empty (a bool cannot be null)",
                   field.name.c_str());
          return Outcome::kBadLine;
        }
        row[f] = schema::NullSlot(field.type);
        break;
      case ParseOutcome::kBadValue:
        snprintf(error_, sizeof(error_), "column '%s': expected %s, found '%.*s'",
                 field.name.c_str(), schema::FieldTypeName(field.type).data(),
                 static_cast<int>(text.size() > 64 ? 64 : text.size()), text.data());
        return Outcome::kBadLine;
      case ParseOutcome::kSymbolsFull:
        snprintf(error_, sizeof(error_),
                 "column '%s': symbol table is full (%u symbols, %u bytes)",
                 field.name.c_str(), symbols_->max_symbols(), symbols_->max_bytes());
        return Outcome::kSymbolsFull;
    }
  }
  if (event_time_field_ >= 0 && row[event_time_field_].i64 == schema::kNullInt) {
    snprintf(error_, sizeof(error_), "column '%s' is empty: a row needs its event time",
             schema_.field(static_cast<uint32_t>(event_time_field_)).name.c_str());
    return Outcome::kBadLine;
  }
  return Outcome::kOk;
}

}  // namespace runnel::file
