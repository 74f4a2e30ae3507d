#include "core/graph/graph_file.h"

#include <cstring>
#include <string_view>

#include "core/common/file_text.h"
#include "core/graph/graph_text.h"

namespace runnel::graph {

bool IsCompiledGraph(std::string_view contents) {
  return contents.size() >= 8 &&
         flatbuffers::BufferHasIdentifier(contents.data(),
                                          fb::GraphIdentifier());
}

Result<std::string> ReadGraphFile(const std::string& path) {
  FileTextError error;
  Result<std::string> contents = ReadFileText(path, &error);
  if (contents.ok()) return contents;
  return InvalidArgument(path +
                         (error.step == FileTextError::Step::kOpen ? ": cannot open graph file: "
                                                                   : ": cannot read graph file: ") +
                         strerror(error.error_number));
}

Result<std::shared_ptr<const GraphFile>> GraphFile::Load(const std::string& path,
                                                         const LoadOptions& options) {
  Result<std::string> contents = ReadGraphFile(path);
  if (!contents.ok()) return contents.status();
  return Parse(path, std::move(contents.value()), options);
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
    Diagnostics diagnostics;
    auto parsed = ParseGraphJson(contents, {}, &diagnostics);
    if (!parsed.ok()) {
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
  auto text = GraphToJson(buffer_.data(), buffer_.size());
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
