#include "core/graph/json_tree.h"

#include <cstdint>
#include <utility>

#include "core/common/utf8.h"
#include "core/graph/json_lexer.h"

namespace runnel::graph {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The `digits` hex digits at raw[at...], or -1.
int32_t Hex(std::string_view raw, size_t at, int digits) {
  if (at + digits > raw.size()) return -1;
  int32_t value = 0;
  for (int i = 0; i < digits; ++i) {
    const int d = HexDigit(raw[at + i]);
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

// Unescapes the string token text `raw` into `out`; false with `error` set
// on a bad escape or text that is not UTF-8.
bool Unescape(std::string_view raw, std::string* out, std::string* error) {
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      *out += raw[i];
      continue;
    }
    const char e = raw[++i];  // the lexer never ends a string on a backslash
    switch (e) {
      case '"': case '\'': case '\\': case '/': *out += e; continue;
      case 'b': *out += '\b'; continue;
      case 'f': *out += '\f'; continue;
      case 'n': *out += '\n'; continue;
      case 'r': *out += '\r'; continue;
      case 't': *out += '\t'; continue;
      case 'x': {
        const int32_t byte = Hex(raw, i + 1, 2);
        if (byte < 0) break;
        *out += static_cast<char>(byte);
        i += 2;
        continue;
      }
      case 'u': {
        int32_t code = Hex(raw, i + 1, 4);
        if (code < 0) break;
        i += 4;
        if (code >= 0xDC00 && code <= 0xDFFF) {
          *error = "unpaired surrogate \\u" + std::string(raw.substr(i - 3, 4)) + " in string";
          return false;
        }
        if (code >= 0xD800 && code <= 0xDBFF) {
          const int32_t low = raw.compare(i + 1, 2, "\\u") == 0 ? Hex(raw, i + 3, 4) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            *error = "unpaired surrogate \\u" + std::string(raw.substr(i - 3, 4)) + " in string";
            return false;
          }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        char utf8[4];
        out->append(utf8, PutUtf8(static_cast<uint32_t>(code), utf8));
        continue;
      }
      default:
        break;
    }
    *error = "invalid escape '\\" + std::string(1, e) + "' in string";
    return false;
  }
  if (out->find('\0') != std::string::npos) {
    *error = "string contains a NUL character";
    return false;
  }
  if (!IsValidUtf8(*out)) {
    *error = "string is not valid UTF-8";
    return false;
  }
  return true;
}

class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, JsonSyntaxError* error) : lexer_(text), error_(error) {}

  bool Run(JsonValue* root) {
    if (!Value(lexer_.Next(), 0, root)) return false;
    JsonToken end = lexer_.Next();
    if (end.kind != JsonTok::kEnd) return Expected(end, "the end of the text");
    return true;
  }

 private:
  bool Value(JsonToken t, int depth, JsonValue* out) {
    out->line = t.line;
    out->column = t.column;
    switch (t.kind) {
      case JsonTok::kOpenObject:
      case JsonTok::kOpenArray:
        if (depth >= kMaxJsonDepth) {
          return Fail(t, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        return t.kind == JsonTok::kOpenObject ? Object(depth, out) : Array(depth, out);
      case JsonTok::kString:
        out->kind = JsonValue::Kind::kString;
        return UnescapeToken(t, &out->text);
      case JsonTok::kWord:
        out->kind = JsonValue::Kind::kWord;
        out->text = std::move(t.text);
        return true;
      case JsonTok::kBad:
        return Fail(t, t.text);
      default:
        return Expected(t, "a value");
    }
  }

  bool Object(int depth, JsonValue* out) {
    out->kind = JsonValue::Kind::kObject;
    for (JsonToken t = lexer_.Next();; t = lexer_.Next()) {
      if (t.kind == JsonTok::kCloseObject) return true;
      if (t.kind != JsonTok::kString && t.kind != JsonTok::kWord) {
        return t.kind == JsonTok::kBad ? Fail(t, t.text) : Expected(t, "a key or '}'");
      }
      JsonMember member;
      member.line = t.line;
      member.column = t.column;
      if (t.kind == JsonTok::kString) {
        if (!UnescapeToken(t, &member.key)) return false;
      } else {
        member.key = std::move(t.text);
      }
      JsonToken colon = lexer_.Next();
      if (colon.kind != JsonTok::kColon) return Expected(colon, "':'");
      if (!Value(lexer_.Next(), depth + 1, &member.value)) return false;
      out->members.push_back(std::move(member));
      JsonToken next = lexer_.Next();
      if (next.kind == JsonTok::kCloseObject) return true;
      if (next.kind != JsonTok::kComma) return Expected(next, "',' or '}'");
    }
  }

  bool Array(int depth, JsonValue* out) {
    out->kind = JsonValue::Kind::kArray;
    for (JsonToken t = lexer_.Next();; t = lexer_.Next()) {
      if (t.kind == JsonTok::kCloseArray) return true;
      JsonValue element;
      if (!Value(std::move(t), depth + 1, &element)) return false;
      out->elements.push_back(std::move(element));
      JsonToken next = lexer_.Next();
      if (next.kind == JsonTok::kCloseArray) return true;
      if (next.kind != JsonTok::kComma) return Expected(next, "',' or ']'");
    }
  }

  bool UnescapeToken(const JsonToken& t, std::string* out) {
    std::string problem;
    if (Unescape(t.text, out, &problem)) return true;
    return Fail(t, problem);
  }

  bool Expected(const JsonToken& t, const std::string& what) {
    return Fail(t, "expected " + what + ", found " + DescribeJsonToken(t));
  }

  bool Fail(const JsonToken& t, std::string message) {
    *error_ = {t.line, t.column, std::move(message)};
    return false;
  }

  JsonLexer lexer_;
  JsonSyntaxError* error_;
};

}  // namespace

bool ParseJsonTree(std::string_view text, JsonValue* root, JsonSyntaxError* error) {
  *root = JsonValue();
  return TreeBuilder(text, error).Run(root);
}

}  // namespace runnel::graph
