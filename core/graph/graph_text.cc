#include "core/graph/graph_text.h"

#include "core/graph/graph_schema_text.h"
#include "flatbuffers/idl.h"

namespace runnel::graph {
namespace {

// A parser holding the graph schema with Graph as root type.
Status LoadSchema(flatbuffers::Parser* parser) {
  if (!parser->Parse(kGraphSchemaText) || !parser->SetRootType("Graph")) {
    return Status(StatusCode::kInternal,
                  "built-in graph schema does not parse: " + parser->error_);
  }
  return Status();
}

// GenerateText writes an empty table as "{" NEWLINE INDENT "}"; make it "{}".
std::string CollapseEmptyObjects(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (in_string) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (text[i] == '"') {
        in_string = false;
      }
      continue;
    }
    if (text[i] == '"') in_string = true;
    if (text[i] != '{') continue;
    size_t j = i + 1;
    while (j < text.size() && (text[j] == '\n' || text[j] == ' ')) ++j;
    if (j < text.size() && text[j] == '}') i = j - 1;  // next round adds '}'
  }
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> ParseGraphJson(const std::string& text,
                                            const JsonParseOptions& options) {
  flatbuffers::IDLOptions idl;
  idl.strict_json = false;  // allow comments and trailing commas
  idl.force_defaults = options.keep_written_defaults;
  flatbuffers::Parser parser(idl);
  Status schema = LoadSchema(&parser);
  if (!schema.ok()) return schema;
  if (!parser.Parse(text.c_str())) return InvalidArgument(parser.error_);
  const uint8_t* data = parser.builder_.GetBufferPointer();
  return std::vector<uint8_t>(data, data + parser.builder_.GetSize());
}

Result<std::string> GraphToJson(const uint8_t* buffer) {
  flatbuffers::IDLOptions idl;
  idl.strict_json = true;
  idl.indent_step = 2;
  idl.natural_utf8 = true;
  flatbuffers::Parser parser(idl);
  Status schema = LoadSchema(&parser);
  if (!schema.ok()) return schema;
  std::string text;
  if (!flatbuffers::GenerateText(parser, buffer, &text)) {
    return InvalidArgument("graph cannot be written as JSON (a string is not valid UTF-8)");
  }
  text = CollapseEmptyObjects(text);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  text += '\n';
  return text;
}

}  // namespace runnel::graph
