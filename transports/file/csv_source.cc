#include "transports/file/csv_source.h"

#include <cstdio>

#include "core/common/log.h"

namespace runnel::file {

CsvSource::CsvSource(CsvSourceOptions options, schema::Schema schema,
                     schema::SymbolTable* symbols)
    : options_(std::move(options)),
      reader_(options_.path, options_.max_line_bytes),
      fields_(options_.delimiter, options_.max_line_bytes),
      row_(std::move(schema), symbols, options_.event_time_field) {}

Status CsvSource::Open() {
  header_pending_ = options_.header;
  RUNNEL_RETURN_IF_ERROR(reader_.Open());
  // With a header, the resume waits until the header has been read again.
  if (restored_ && !header_pending_) {
    return reader_.Seek(restored_position_.offset, restored_position_.line_number);
  }
  return Status::Ok();
}

bool CsvSource::SavePosition(runtime::StateBuffer* out) {
  return SaveLinePosition(reader_, out);
}

Status CsvSource::RestoreEntry(std::string_view key, std::string_view value) {
  RUNNEL_RETURN_IF_ERROR(ParseLinePosition(options_.path, key, value, &restored_position_));
  restored_ = true;
  return Status::Ok();
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
  if (!row_.MapHeader(fields_)) return DataError(where + ": " + row_.error());
  // A position saved before the header was read is the start of the file.
  if (restored_ && restored_position_.offset > 0) {
    return reader_.Seek(restored_position_.offset, restored_position_.line_number);
  }
  return Status::Ok();
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
    CsvRow::Outcome decoded = row_.Decode(fields_, out->Append());
    if (decoded != CsvRow::Outcome::kOk) {
      out->DropLast();
      if (decoded == CsvRow::Outcome::kSymbolsFull) {
        return ResourceExhausted(options_.path + ":" +
                                 std::to_string(reader_.line_number()) + ": " + row_.error());
      }
      snprintf(error_, sizeof(error_), "%s", row_.error());
      RUNNEL_RETURN_IF_ERROR(Reject(reader_.line_number()));
    }
  }
  return Status::Ok();
}

}  // namespace runnel::file
