#include "tools/cli/fmt.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/graph/graph_file.h"
#include "core/graph/graph_text.h"
#include "tools/cli/atomic_file.h"
#include "tools/cli/cli.h"

namespace runnel::cli {
namespace {

struct Comments {
  size_t header_end = 0;     // text before this is whitespace and comments
  std::vector<int> inside;   // lines of the comments after that
};

// Finds the comments of JSON text (outside strings, single- or double-quoted,
// as the graph reader accepts them: // to the end of the line, /* to */).
Comments FindComments(const std::string& text) {
  Comments comments;
  bool in_header = true;
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*')) {
      if (!in_header) comments.inside.push_back(line);
      if (text[i + 1] == '/') {
        while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      } else {
        for (i += 2; i + 1 < text.size() && !(text[i] == '*' && text[i + 1] == '/'); ++i) {
          line += (text[i] == '\n');
        }
        ++i;
      }
    } else if (c == '"' || c == '\'') {
      in_header = false;
      for (++i; i < text.size() && text[i] != c; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c != ' ' && c != '\t' && c != '\r') {
      in_header = false;
    }
    if (in_header) comments.header_end = i + 1;
  }
  if (in_header) comments.header_end = text.size();
  return comments;
}

// The header comments as they will be printed: leading blank lines and
// trailing whitespace dropped, then a newline; "" if there are none.
std::string Header(const std::string& text, size_t end) {
  size_t start = 0;
  while (start < end && (text[start] == '\n' || text[start] == ' ' || text[start] == '\t' ||
                         text[start] == '\r')) {
    ++start;
  }
  while (end > start && (text[end - 1] == '\n' || text[end - 1] == ' ' ||
                         text[end - 1] == '\t' || text[end - 1] == '\r')) {
    --end;
  }
  return start == end ? "" : text.substr(start, end - start) + "\n";
}

}  // namespace

int Fmt(const std::string& graph_path, const FmtOptions& options) {
  Result<std::string> read = graph::ReadGraphFile(graph_path);
  if (!read.ok()) {
    fprintf(stderr, "%s\n", read.status().message().c_str());
    return kExitUsage;
  }
  std::string text = std::move(read.value());

  // Checked with the usual messages (FILE:LINE: FIELD: MESSAGE).
  auto file = graph::GraphFile::Parse(graph_path, text);
  if (!file.ok()) {
    fprintf(stderr, "%s\n", file.status().message().c_str());
    return kExitUsage;
  }

  std::string formatted;
  if (graph::IsCompiledGraph(text)) {
    if (options.write) {
      fprintf(stderr,
              "runnel: %s is a compiled graph; fmt prints its JSON form, but -w "
              "would replace it\n",
              graph_path.c_str());
      return kExitUsage;
    }
    const std::vector<uint8_t>& buffer = file.value()->buffer();
    auto json = graph::GraphToJson(buffer.data(), buffer.size());
    if (!json.ok()) {
      fprintf(stderr, "%s: %s\n", graph_path.c_str(), json.status().message().c_str());
      return kExitUsage;
    }
    formatted = json.value();
  } else {
    Comments comments = FindComments(text);
    if (!comments.inside.empty() && !options.drop_comments) {
      for (int line : comments.inside) {
        fprintf(stderr,
                "%s:%d: comment would be lost (only comments before the opening '{' "
                "are kept)\n",
                graph_path.c_str(), line);
      }
      fprintf(stderr,
              "runnel: fmt left %s alone; move the comments above the opening '{' or "
              "pass --drop-comments\n",
              graph_path.c_str());
      return kExitUsage;
    }
    graph::JsonParseOptions parse;
    parse.keep_written_defaults = true;
    auto buffer = graph::ParseGraphJson(text, parse);
    auto json = buffer.ok()
                    ? graph::GraphToJson(buffer.value().data(), buffer.value().size())
                    : Result<std::string>(buffer.status());
    if (!json.ok()) {
      fprintf(stderr, "%s: %s\n", graph_path.c_str(), json.status().message().c_str());
      return kExitUsage;
    }
    formatted = Header(text, comments.header_end) + json.value();
  }

  if (!options.write) {
    if (fwrite(formatted.data(), 1, formatted.size(), stdout) != formatted.size() ||
        fflush(stdout) != 0) {
      fprintf(stderr, "runnel: cannot write to standard output\n");
      return kExitFailure;
    }
    return kExitOk;
  }
  if (formatted == text) return kExitOk;  // already formatted: leave it untouched
  Status written = WriteFileAtomically(graph_path, formatted);
  if (!written.ok()) {
    fprintf(stderr, "runnel: %s\n", written.message().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace runnel::cli
