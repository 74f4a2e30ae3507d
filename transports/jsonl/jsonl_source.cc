#include "transports/jsonl/jsonl_source.h"

#include <cstdio>

#include "core/common/log.h"

namespace runnel::jsonl {

JsonlSource::JsonlSource(JsonlSourceOptions options, schema::Schema schema,
                         schema::SymbolTable* symbols)
    : options_(std::move(options)),
      reader_(options_.path, options_.max_line_bytes),
      decoder_(std::move(schema), symbols, options_.max_line_bytes, options_.event_time_field) {}

Status JsonlSource::Open() {
  RUNNEL_RETURN_IF_ERROR(reader_.Open());
  if (!restored_) return Status::Ok();
  return reader_.Seek(restored_position_.offset, restored_position_.line_number);
}

bool JsonlSource::SavePosition(runtime::StateBuffer* out) {
  return file::SaveLinePosition(reader_, out);
}

Status JsonlSource::RestoreEntry(std::string_view key, std::string_view value) {
  RUNNEL_RETURN_IF_ERROR(file::ParseLinePosition(options_.path, key, value, &restored_position_));
  restored_ = true;
  return Status::Ok();
}

bool JsonlSource::Stop() {
  reader_.StopReading();
  return true;
}

Status JsonlSource::Reject(uint64_t line, const char* what) {
  if (options_.strict) {
    return DataError(options_.path + ":" + std::to_string(line) + ": " + what +
                     " (strict: stopping)");
  }
  rejected_.store(rejected_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  RUNNEL_LOG_WARN("%s:%llu: %s (line skipped)", options_.path.c_str(),
                  static_cast<unsigned long long>(line), what);
  return Status::Ok();
}

Status JsonlSource::Read(schema::RowBatch* out, bool* done) {
  *done = false;
  while (!out->full()) {
    std::string_view line;
    Result<file::LineReader::Outcome> outcome = reader_.Next(&line);
    if (!outcome.ok()) return outcome.status();
    switch (outcome.value()) {
      case file::LineReader::Outcome::kEnd:
        *done = true;
        return Status::Ok();
      case file::LineReader::Outcome::kIdle:  // let the task see a stop request
        return Status::Ok();
      case file::LineReader::Outcome::kTooLong:
        snprintf(error_, sizeof(error_), "line longer than %zu bytes",
                 options_.max_line_bytes);
        RUNNEL_RETURN_IF_ERROR(Reject(reader_.line_number(), error_));
        continue;
      case file::LineReader::Outcome::kLine:
        break;
    }
    if (line.empty()) continue;
    switch (decoder_.Decode(line, out->Append())) {
      case JsonlDecoder::Outcome::kOk:
        break;
      case JsonlDecoder::Outcome::kBadLine:
        out->DropLast();
        RUNNEL_RETURN_IF_ERROR(Reject(reader_.line_number(), decoder_.error()));
        break;
      case JsonlDecoder::Outcome::kSymbolsFull:
        out->DropLast();
        return ResourceExhausted(options_.path + ":" + std::to_string(reader_.line_number()) +
                                 ": " + decoder_.error());
    }
  }
  return Status::Ok();
}

}  // namespace runnel::jsonl
