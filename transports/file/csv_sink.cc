#include "transports/file/csv_sink.h"

#include <cstring>

#include "core/schema/null.h"
#include "core/schema/value_text.h"

namespace runnel::file {
namespace {

// Longest text a number, bool or timestamp formats to.
constexpr size_t kMaxScalarBytes = 32;

}  // namespace

CsvSink::CsvSink(CsvSinkOptions options, schema::Schema schema,
                 const schema::SymbolTable* symbols)
    : options_(std::move(options)),
      schema_(std::move(schema)),
      symbols_(symbols),
      writer_(options_.path) {}

Status CsvSink::Open() {
  RUNNEL_RETURN_IF_ERROR(writer_.Open());
  if (!options_.header) return Status::Ok();
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    if ((f > 0 && !AppendChar(options_.delimiter)) ||
        !AppendText(schema_.field(f).name)) {
      return writer_.status();
    }
  }
  return AppendChar('\n') ? Status::Ok() : writer_.status();
}

bool CsvSink::AppendChar(char c) {
  char* out = writer_.Reserve(1);
  if (out == nullptr) return false;
  *out = c;
  writer_.Commit(1);
  return true;
}

bool CsvSink::AppendText(std::string_view text) {
  bool quote = text.find_first_of("\"\r\n") != std::string_view::npos ||
               text.find(options_.delimiter) != std::string_view::npos;
  size_t worst = quote ? 2 * text.size() + 2 : text.size();
  if (worst > writer_.buffer_bytes()) return false;
  char* out = writer_.Reserve(worst);
  if (out == nullptr) return false;
  char* p = out;
  if (quote) *p++ = '"';
  for (char c : text) {
    if (quote && c == '"') *p++ = '"';
    *p++ = c;
  }
  if (quote) *p++ = '"';
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

Status CsvSink::Close() { return writer_.Close(); }

}  // namespace runnel::file
