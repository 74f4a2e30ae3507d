#include "transports/file/csv_sink.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/schema/null.h"
#include "core/schema/value_text.h"

namespace runnel::file {
namespace {

// Longest text a number, bool or timestamp formats to.
constexpr size_t kMaxScalarBytes = 32;

constexpr std::string_view kPartsKey = "parts";
constexpr size_t kPartsBytes = 16;

using runtime::GetU64;
using runtime::PutU64;

}  // namespace

CsvSink::CsvSink(CsvSinkOptions options, schema::Schema schema,
                 const schema::SymbolTable* symbols)
    : options_(std::move(options)),
      schema_(std::move(schema)),
      symbols_(symbols),
      transactional_(options_.transactional && options_.path != "-"),
      directory_(DirectoryOf(options_.path)),
      writer_(options_.path),
      task_name_(options_.path),
      writer_name_(options_.path),
      committed_name_(options_.path) {
  for (unsigned char c : {'"', '\r', '\n', options_.delimiter}) {
    needs_quotes_[c] = true;
  }
  if (transactional_) {
    // Room for every part name, so naming a part later never allocates.
    writer_.set_path(std::string(task_name_.max_bytes(), 'x').c_str());
  }
}

Status CsvSink::Open() {
  if (transactional_) {
    RUNNEL_RETURN_IF_ERROR(RecoverParts(options_.path, next_part_));
    staged_through_ = synced_through_ = committed_through_ = next_part_;
    return Status::Ok();
  }
  RUNNEL_RETURN_IF_ERROR(writer_.Open());
  return AppendHeader() ? Status::Ok() : writer_.status();
}

bool CsvSink::AppendHeader() {
  if (!options_.header) return true;
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    if ((f > 0 && !AppendChar(options_.delimiter)) || !AppendText(schema_.field(f).name)) {
      return false;
    }
  }
  return AppendChar('\n');
}

Status CsvSink::OpenPart() {
  writer_.set_path(task_name_.InProgress(next_part_));
  RUNNEL_RETURN_IF_ERROR(writer_.Open());
  part_open_ = true;
  if (next_part_ == 0 && !AppendHeader()) return writer_.status();
  return Status::Ok();
}

bool CsvSink::AppendChar(char c) {
  char* out = writer_.Reserve(1);
  if (out == nullptr) return false;
  *out = c;
  writer_.Commit(1);
  return true;
}

bool CsvSink::AppendText(std::string_view text) {
  bool quote = false;
  for (char c : text) quote |= needs_quotes_[static_cast<unsigned char>(c)];
  size_t worst = quote ? 2 * text.size() + 2 : text.size();
  if (worst > writer_.buffer_bytes()) return false;
  char* out = writer_.Reserve(worst);
  if (out == nullptr) return false;
  if (!quote) {
    std::memcpy(out, text.data(), text.size());
    writer_.Commit(text.size());
    return true;
  }
  char* p = out;
  *p++ = '"';
  for (char c : text) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  writer_.Commit(static_cast<size_t>(p - out));
  return true;
}

bool CsvSink::AppendRow(const schema::Slot* row) {
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    if (f > 0 && !AppendChar(options_.delimiter)) return false;
    const schema::Field& field = schema_.field(f);
    if (schema::IsNull(row[f], field.type)) continue;  // an empty cell
    if (field.type == schema::FieldType::kSym) {
      if (!AppendText(symbols_->Lookup(static_cast<uint32_t>(row[f].i64)))) return false;
      continue;
    }
    char* out = writer_.Reserve(kMaxScalarBytes);
    if (out == nullptr) return false;
    char* end = schema::FormatValue(row[f], field, *symbols_, out, out + kMaxScalarBytes);
    writer_.Commit(static_cast<size_t>(end - out));
  }
  return AppendChar('\n');
}

Status CsvSink::Write(const schema::RowBatch& batch) {
  if (transactional_ && !part_open_ && batch.size() > 0) {
    RUNNEL_RETURN_IF_ERROR(OpenPart());
  }
  for (uint32_t i = 0; i < batch.size(); ++i) {
    if (!AppendRow(batch.row(i))) {
      return writer_.status().ok()
                 ? DataError("a value is longer than the " +
                             std::to_string(writer_.buffer_bytes()) +
                             "-byte output buffer")
                 : writer_.status();
    }
  }
  return Status::Ok();
}

// Transactional: the open part stays in progress (recovery removes it).
Status CsvSink::Close() {
  if (transactional_ && !part_open_) return Status::Ok();
  part_open_ = false;
  return writer_.Close();
}

Status CsvSink::PrepareCommit(uint64_t id, bool full, runtime::StateBuffer* out) {
  (void)full;  // its record is rewritten by every checkpoint
  if (!transactional_) return Status::Ok();
  // With no rows yet, part 0 still holds the header (a run without
  // checkpoints writes it too).
  if (!part_open_ && next_part_ == 0 && options_.header) {
    RUNNEL_RETURN_IF_ERROR(OpenPart());
  }
  if (part_open_) {
    part_open_ = false;
    RUNNEL_RETURN_IF_ERROR(writer_.Close());
    ++next_part_;
  }
  char value[kPartsBytes];
  PutU64(id, value);
  PutU64(next_part_, value + 8);
  if (!out->Put(kPartsKey, std::string_view(value, kPartsBytes))) {
    return ResourceExhausted(options_.path + ": the checkpoint buffer is full");
  }
  if (!staged_.Push(id, next_part_)) {
    return ResourceExhausted(options_.path + ": more than " +
                             std::to_string(StagedParts::kCapacity) +
                             " checkpoints staged and not committed");
  }
  return Status::Ok();
}

Status CsvSink::SyncStaged(uint64_t id) {
  staged_through_ = staged_.TakeThrough(id, staged_through_);
  if (synced_through_ == staged_through_) return Status::Ok();
  for (uint64_t part = synced_through_; part < staged_through_; ++part) {
    RUNNEL_RETURN_IF_ERROR(SyncFile(writer_name_.InProgress(part)));
  }
  // The names too: a stored checkpoint must find its parts after a crash.
  RUNNEL_RETURN_IF_ERROR(SyncDirectory(directory_));
  synced_through_ = staged_through_;
  return Status::Ok();
}

Status CsvSink::SyncPrepared(uint64_t id) {
  if (!transactional_) return Status::Ok();
  return SyncStaged(id);
}

Status CsvSink::Commit(uint64_t id) {
  if (!transactional_) return Status::Ok();
  RUNNEL_RETURN_IF_ERROR(SyncStaged(id));
  if (committed_through_ == staged_through_) return Status::Ok();
  for (uint64_t part = committed_through_; part < staged_through_; ++part) {
    const char* from = writer_name_.InProgress(part);
    const char* to = committed_name_.Committed(part);
    if (::rename(from, to) != 0) {
      return IoError(std::string("cannot rename ") + from + " to " + to + ": " +
                     std::strerror(errno));
    }
  }
  RUNNEL_RETURN_IF_ERROR(SyncDirectory(directory_));
  committed_through_ = staged_through_;
  return Status::Ok();
}

Status CsvSink::RestoreEntry(std::string_view key, std::string_view value) {
  if (!transactional_) return Status(StatusCode::kInternal, "this sink keeps no state");
  if (key != kPartsKey || value.size() != kPartsBytes) {
    return DataError(options_.path + ": the checkpoint holds no part count of a csv sink (key '" +
                     std::string(key) + "', " + std::to_string(value.size()) + " bytes)");
  }
  next_part_ = GetU64(value.data() + 8);
  return Status::Ok();
}

size_t CsvSink::checkpoint_bytes() const {
  return transactional_ ? runtime::StateBuffer::RecordBytes(kPartsKey.size(), kPartsBytes) : 0;
}

}  // namespace runnel::file
