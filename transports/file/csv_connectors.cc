#include "transports/file/csv_connectors.h"

#include "transports/file/csv_sink.h"
#include "transports/file/csv_source.h"

namespace runnel::file {
namespace {

// The delimiter option: absent means ',', otherwise exactly one character
// other than a quote or line break.
bool ParseDelimiter(const flatbuffers::String* text, const std::string& path,
                    graph::Diagnostics* diagnostics, char* delimiter) {
  if (text == nullptr) return true;
  if (text->size() != 1 || text->c_str()[0] == '"' || text->c_str()[0] == '\n' ||
      text->c_str()[0] == '\r') {
    diagnostics->Add(path, "expected one character other than a quote or line "
                           "break, found '" + text->str() + "'");
    return false;
  }
  *delimiter = text->c_str()[0];
  return true;
}

bool CheckPath(const flatbuffers::String* text, const std::string& path,
               graph::Diagnostics* diagnostics) {
  if (text->size() > 0) return true;
  diagnostics->Add(path, "expected a file path, or \"-\"");
  return false;
}

}  // namespace

std::unique_ptr<runtime::Source> MakeCsvSource(
    const graph::GraphFile& file, const graph::LogicalSource& source, const schema::Schema& schema,
    schema::SymbolTable* symbols, const CsvOverrides& overrides,
    graph::Diagnostics* diagnostics) {
  const graph::fb::CsvSource& csv = *source.def->csv();
  std::string path = source.field_path + ".csv";
  CsvSourceOptions options;
  options.path = file.ResolvePath(csv.path()->str());
  options.header = csv.header();
  options.strict = csv.strict() || overrides.strict;
  options.event_time_field = source.event_time_field;
  bool ok = CheckPath(csv.path(), path + ".path", diagnostics);
  ok = ParseDelimiter(csv.delimiter(), path + ".delimiter", diagnostics,
                      &options.delimiter) && ok;
  if (!ok) return nullptr;
  return std::make_unique<CsvSource>(std::move(options), schema, symbols);
}

std::unique_ptr<runtime::Sink> MakeCsvSink(const graph::GraphFile& file,
                                           const graph::LogicalSink& sink,
                                           const schema::Schema& schema,
                                           const schema::SymbolTable* symbols,
                                           const CsvOverrides& overrides,
                                           graph::Diagnostics* diagnostics) {
  const graph::fb::CsvSink& csv = *sink.def->csv();
  std::string path = sink.field_path + ".csv";
  CsvSinkOptions options;
  options.path = file.ResolvePath(csv.path()->str());
  options.header = csv.header();
  options.transactional = overrides.checkpoints;
  bool ok = CheckPath(csv.path(), path + ".path", diagnostics);
  ok = ParseDelimiter(csv.delimiter(), path + ".delimiter", diagnostics,
                      &options.delimiter) && ok;
  if (!ok) return nullptr;
  return std::make_unique<CsvSink>(std::move(options), schema, symbols);
}

}  // namespace runnel::file
