#include "transports/file/csv_source.h"

#include <cstdio>

#include "core/common/log.h"
#include "core/schema/null.h"
#include "core/schema/value_text.h"

namespace runnel::file {

using schema::ParseOutcome;

CsvSource::CsvSource(CsvSourceOptions options, schema::Schema schema,
                     schema::SymbolTable* symbols)
    : options_(std::move(options)),
      schema_(std::move(schema)),
      symbols_(symbols),
      reader_(options_.path, options_.max_line_bytes),
      fields_(options_.delimiter, options_.max_line_bytes),
      column_of_field_(schema_.size()) {
  for (size_t f = 0; f < column_of_field_.size(); ++f) column_of_field_[f] = f;
  expected_columns_ = schema_.size();
}

Status CsvSource::Open() {
  header_pending_ = options_.header;
  return reader_.Open();
}

bool CsvSource::Stop() {
  stopping_ = true;
  reader_.StopReading();
  return true;
}

Status CsvSource::ReadHeader(bool* idle) {
  std::string_view line;
  Result<LineReader::Outcome> outcome = reader_.Next(&line);
  if (!outcome.ok()) return outcome.status();
  *idle = outcome.value() == LineReader::Outcome::kIdle;
  if (*idle) return Status::Ok();  // a pipe with nothing yet: try again later
  header_pending_ = false;
  std::string where = options_.path + ":" + std::to_string(reader_.line_number());
  if (outcome.value() == LineReader::Outcome::kEnd) {
    // Stopped before anything arrived: nothing to read, nothing wrong.
    if (stopping_) return Status::Ok();
    return DataError(options_.path + ": empty input, expected a header line");
  }
  if (outcome.value() == LineReader::Outcome::kTooLong || !fields_.Split(line)) {
    return DataError(where + ": header line is not valid CSV");
  }
  std::string columns;
  for (size_t c = 0; c < fields_.size(); ++c) {
    columns += (c ? ", " : "") + std::string(fields_[c]);
  }
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    const std::string& name = schema_.field(f).name;
    size_t c = 0;
    while (c < fields_.size() && fields_[c] != name) ++c;
    if (c == fields_.size()) {
      return DataError(where + ": header has no column '" + name +
                       "' for schema field " + std::to_string(f) +
                       " (columns: " + columns + ")");
    }
    column_of_field_[f] = c;
  }
  expected_columns_ = fields_.size();
  return Status::Ok();
}

bool CsvSource::Decode(schema::Slot* row, bool* fatal) {
  if (fields_.size() != expected_columns_) {
    snprintf(error_, sizeof(error_), "expected %zu columns, found %zu",
             expected_columns_, fields_.size());
    return false;
  }
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    const schema::Field& field = schema_.field(f);
    std::string_view text = fields_[column_of_field_[f]];
    switch (schema::ParseValue(text, field, symbols_, &row[f])) {
      case ParseOutcome::kOk:
        break;
      case ParseOutcome::kEmpty:
        if (!schema::IsNullable(field.type)) {
          snprintf(error_, sizeof(error_), "column '%s' is empty (a bool cannot be null)",
                   field.name.c_str());
          return false;
        }
        row[f] = schema::NullSlot(field.type);
        break;
      case ParseOutcome::kBadValue:
        snprintf(error_, sizeof(error_), "column '%s': expected %s, found '%.*s'",
                 field.name.c_str(), schema::FieldTypeName(field.type).data(),
                 static_cast<int>(text.size() > 64 ? 64 : text.size()), text.data());
        return false;
      case ParseOutcome::kSymbolsFull:
        snprintf(error_, sizeof(error_),
                 "column '%s': symbol table is full (%u symbols, %u bytes)",
                 field.name.c_str(), symbols_->max_symbols(), symbols_->max_bytes());
        *fatal = true;
        return false;
    }
  }
  if (options_.event_time_field >= 0 && row[options_.event_time_field].i64 == schema::kNullInt) {
    snprintf(error_, sizeof(error_), "column '%s' is empty: a row needs its event time",
             schema_.field(static_cast<uint32_t>(options_.event_time_field)).name.c_str());
    return false;
  }
  return true;
}

Status CsvSource::Reject(uint64_t line) {
  if (options_.strict) {
    return DataError(options_.path + ":" + std::to_string(line) + ": " + error_ +
                     " (strict: stopping)");
  }
  rejected_.store(rejected_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  RUNNEL_LOG_WARN("%s:%llu: %s (line skipped)", options_.path.c_str(),
                  static_cast<unsigned long long>(line), error_);
  return Status::Ok();
}

Status CsvSource::Read(schema::RowBatch* out, bool* done) {
  *done = false;
  if (header_pending_) {
    bool idle = false;
    Status header = ReadHeader(&idle);
    if (!header.ok() || idle) return header;
  }
  while (!out->full()) {
    std::string_view line;
    Result<LineReader::Outcome> outcome = reader_.Next(&line);
    if (!outcome.ok()) return outcome.status();
    switch (outcome.value()) {
      case LineReader::Outcome::kEnd:
        *done = true;
        return Status::Ok();
      case LineReader::Outcome::kIdle:  // let the task see a stop request
        return Status::Ok();
      case LineReader::Outcome::kTooLong:
        snprintf(error_, sizeof(error_), "line longer than %zu bytes",
                 options_.max_line_bytes);
        RUNNEL_RETURN_IF_ERROR(Reject(reader_.line_number()));
        continue;
      case LineReader::Outcome::kLine:
        break;
    }
    if (line.empty()) continue;
    if (!fields_.Split(line)) {
      snprintf(error_, sizeof(error_), "%s", fields_.error());
      RUNNEL_RETURN_IF_ERROR(Reject(reader_.line_number()));
      continue;
    }
    bool fatal = false;
    if (!Decode(out->Append(), &fatal)) {
      out->DropLast();
      if (fatal) {
        return ResourceExhausted(options_.path + ":" +
                                 std::to_string(reader_.line_number()) + ": " + error_);
      }
      RUNNEL_RETURN_IF_ERROR(Reject(reader_.line_number()));
    }
  }
  return Status::Ok();
}

}  // namespace runnel::file
