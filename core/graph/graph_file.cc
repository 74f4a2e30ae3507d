#include "core/graph/graph_file.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

#include <cstring>

#include "core/graph/graph_text.h"
#include "core/graph/json_syntax.h"
#include "flatbuffers/idl.h"

namespace runnel::graph {
namespace {

// Syntax errors reported for one graph, at most.
constexpr size_t kMaxSyntaxErrors = 20;

// FlatBuffers says "required field is missing: NAME in TABLE" just past the
// '}' of the table that lacks NAME. Rewrites `d` to name that table's path
// and where it starts; false if the message is another one.
bool RewriteMissingRequired(const JsonLocator& locator, Diagnostic* d) {
  constexpr std::string_view kPrefix = "required field is missing: ";
  if (d->message.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  const size_t in = d->message.rfind(" in ");
  if (in == std::string::npos || in < kPrefix.size()) return false;
  JsonLocator::Place table;
  if (!locator.ObjectClosedBy(d->line, d->column > 1 ? d->column - 1 : d->column, &table)) {
    return false;
  }
  d->field_path = table.path;
  d->line = table.line;
  d->column = table.column;
  d->message = "missing required field \"" +
               d->message.substr(kPrefix.size(), in - kPrefix.size()) + "\"";
  return true;
}

// FlatBuffers stops at the first syntax error. When our own syntax pass
// finds that one too (on the same line), the errors it finds after it are
// independent ones (json_syntax.h): adds those.
void AddLaterSyntaxErrors(const std::string& text, const JsonLocator& locator,
                          int first_line, Diagnostics* out) {
  std::vector<JsonSyntaxError> errors = FindJsonSyntaxErrors(text, kMaxSyntaxErrors);
  if (errors.empty() || errors[0].line != first_line) return;
  for (size_t i = 1; i < errors.size(); ++i) {
    const JsonSyntaxError& e = errors[i];
    out->Add({locator.PathAt(e.line, e.column), e.message, e.line, e.column});
  }
}

// FlatBuffers reports "LINE: COLUMN: error: MESSAGE" (several lines if it
// found several problems). Splits that into diagnostics, naming the field the
// error points into, and adds the later syntax errors it did not get to.
void AddParserErrors(const std::string& errors, const std::string& json,
                     const JsonLocator& locator, Diagnostics* out) {
  int first_line = 0;
  std::istringstream lines(errors);
  std::string text;
  while (std::getline(lines, text)) {
    if (text.empty()) continue;
    int line = 0, column = 0, consumed = 0;
    Diagnostic d;
    if (sscanf(text.c_str(), "%d: %d: error: %n", &line, &column, &consumed) == 2 &&
        consumed > 0) {
      d.line = line;
      d.column = column;
      d.message = text.substr(static_cast<size_t>(consumed));
      // FlatBuffers reads an unquoted-enum error into a string where a
      // number belongs; say what was expected instead.
      if (d.message == "enum values need to be qualified by an enum type") {
        d.message = "expected a number, found a string";
      }
      if (first_line == 0) first_line = line;
      // The parser's column is just past the offending token.
      if (!RewriteMissingRequired(locator, &d)) {
        d.field_path = locator.PathAt(line, column > 1 ? column - 1 : column);
      }
    } else {
      d.line = 1;
      d.message = text;
    }
    out->Add(std::move(d));
  }
  if (first_line > 0) AddLaterSyntaxErrors(json, locator, first_line, out);
}

}  // namespace

bool IsCompiledGraph(std::string_view contents) {
  return contents.size() >= 8 &&
         flatbuffers::BufferHasIdentifier(contents.data(),
                                          fb::GraphIdentifier());
}

Result<std::shared_ptr<const GraphFile>> GraphFile::Load(const std::string& path,
                                                         const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open graph file");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return InvalidArgument(path + ": cannot read graph file");
  return Parse(path, contents.str(), options);
}

Result<std::shared_ptr<const GraphFile>> GraphFile::Parse(std::string path,
                                                          std::string contents,
                                                          const LoadOptions& options) {
  std::vector<uint8_t> buffer;
  std::unique_ptr<JsonLocator> locator;
  if (IsCompiledGraph(contents)) {
    flatbuffers::Verifier verifier(
        reinterpret_cast<const uint8_t*>(contents.data()), contents.size());
    if (!fb::VerifyGraphBuffer(verifier)) {
      return InvalidArgument(path +
                             ": compiled graph is corrupt or truncated "
                             "(FlatBuffers verification failed)");
    }
    buffer.assign(contents.begin(), contents.end());
  } else {
    locator = std::make_unique<JsonLocator>(contents);
    auto parsed = ParseGraphJson(contents);
    if (!parsed.ok()) {
      if (parsed.status().code() != StatusCode::kInvalidArgument) return parsed.status();
      Diagnostics diagnostics;
      AddParserErrors(parsed.status().message(), contents, *locator, &diagnostics);
      GraphFile failed(path, {}, std::move(locator));
      return InvalidArgument(failed.Format(diagnostics));
    }
    buffer = std::move(parsed.value());
  }
  std::shared_ptr<GraphFile> file(
      new GraphFile(std::move(path), std::move(buffer), std::move(locator)));
  if (options.substitute_env) {
    Status substituted = file->SubstituteEnv(options.env ? options.env : ProcessEnvironment());
    if (!substituted.ok()) return substituted;
  }
  return std::shared_ptr<const GraphFile>(std::move(file));
}

Status GraphFile::SubstituteEnv(const EnvLookup& env) {
  // Only strings can hold a '$': most graphs skip the round trip.
  if (memchr(buffer_.data(), '$', buffer_.size()) == nullptr) return Status();
  // Round trip through the canonical text: its string values are exactly
  // the graph's string fields, and its paths are the file's field paths.
  auto text = GraphToJson(buffer_.data());
  if (!text.ok()) return InvalidArgument(path_ + ": " + text.status().message());
  Diagnostics diagnostics;
  std::string substituted = SubstituteEnvInJson(text.value(), env, &diagnostics);
  if (!diagnostics.empty()) return InvalidArgument(Format(diagnostics));
  auto parsed = ParseGraphJson(substituted);
  if (!parsed.ok()) {
    return InvalidArgument(path_ + ": after substituting environment variables: " +
                           parsed.status().message());
  }
  buffer_ = std::move(parsed.value());
  return Status();
}

std::string GraphFile::ResolvePath(const std::string& path) const {
  if (path.empty() || path == "-" || path[0] == '/') return path;
  size_t slash = path_.find_last_of('/');
  if (slash == std::string::npos) return path;
  return path_.substr(0, slash + 1) + path;
}

int GraphFile::LineOf(std::string_view field_path) const {
  return locator_ ? locator_->LineOf(field_path) : 0;
}

std::string GraphFile::Format(const Diagnostics& diagnostics) const {
  std::string out;
  for (const Diagnostic& d : diagnostics.items()) {
    if (!out.empty()) out += '\n';
    int line = d.line != 0 ? d.line : LineOf(d.field_path);
    out += path_;
    if (line > 0) out += ":" + std::to_string(line);
    if (d.column > 0) out += ":" + std::to_string(d.column);
    out += ": ";
    if (!d.field_path.empty()) out += d.field_path + ": ";
    out += d.message;
  }
  return out;
}

}  // namespace runnel::graph
