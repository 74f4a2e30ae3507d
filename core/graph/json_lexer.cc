#include "core/graph/json_lexer.h"

#include <cctype>
#include <cstdio>

namespace runnel::graph {
namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
         c == '.';
}

}  // namespace

JsonToken JsonLexer::Next() {
  SkipSpaceAndComments();
  if (!bad_comment_.empty()) {
    JsonToken t{JsonTok::kBad, bad_line_, bad_column_, std::move(bad_comment_)};
    bad_comment_.clear();
    return t;
  }
  JsonToken t{JsonTok::kEnd, line_, Column(), ""};
  if (pos_ >= text_.size()) return t;
  const char c = text_[pos_];
  switch (c) {
    case '{': t.kind = JsonTok::kOpenObject; ++pos_; return t;
    case '}': t.kind = JsonTok::kCloseObject; ++pos_; return t;
    case '[': t.kind = JsonTok::kOpenArray; ++pos_; return t;
    case ']': t.kind = JsonTok::kCloseArray; ++pos_; return t;
    case ':': t.kind = JsonTok::kColon; ++pos_; return t;
    case ',': t.kind = JsonTok::kComma; ++pos_; return t;
    case '"':
    case '\'':
      return String(t, c);
    default:
      break;
  }
  if (IsWordChar(c)) {
    t.kind = JsonTok::kWord;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) t.text += text_[pos_++];
    return t;
  }
  t.kind = JsonTok::kBad;
  t.text = std::string("unexpected character '") + c + "'";
  ++pos_;
  return t;
}

void JsonLexer::NewLine() {
  ++line_;
  line_start_ = pos_ + 1;
}

void JsonLexer::SkipSpaceAndComments() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '\n') {
      NewLine();
      ++pos_;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (text_.compare(pos_, 2, "//") == 0) {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else if (text_.compare(pos_, 2, "/*") == 0) {
      const size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        bad_comment_ = "unterminated /* comment";
        bad_line_ = line_;
        bad_column_ = Column();
        pos_ = text_.size();
        return;
      }
      for (; pos_ < end + 2; ++pos_) {
        if (text_[pos_] == '\n') NewLine();
      }
    } else {
      return;
    }
  }
}

// A string quoted by `quote`; one without its closing quote on its line is
// bad, and the line break ends it.
JsonToken JsonLexer::String(JsonToken t, char quote) {
  for (++pos_; pos_ < text_.size() && text_[pos_] != quote && text_[pos_] != '\n'; ++pos_) {
    if (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
      t.text += text_[pos_++];
    }
    t.text += text_[pos_];
  }
  if (pos_ >= text_.size() || text_[pos_] == '\n') {
    t.kind = JsonTok::kBad;
    t.text = "unterminated string";
    return t;
  }
  ++pos_;
  t.kind = JsonTok::kString;
  return t;
}

void AppendEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\t': *out += "\\t"; break;
      case '\r': *out += "\\r"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned char>(c));
          *out += escaped;
        } else {
          *out += c;
        }
    }
  }
}

std::string Abbreviated(std::string_view s) {
  constexpr size_t kMaxBytes = 24;
  if (s.size() <= kMaxBytes) return std::string(s);
  size_t cut = kMaxBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // mid-character
  return std::string(s.substr(0, cut)) + "...";
}

std::string DescribeJsonToken(const JsonToken& t) {
  switch (t.kind) {
    case JsonTok::kOpenObject: return "'{'";
    case JsonTok::kCloseObject: return "'}'";
    case JsonTok::kOpenArray: return "'['";
    case JsonTok::kCloseArray: return "']'";
    case JsonTok::kColon: return "':'";
    case JsonTok::kComma: return "','";
    case JsonTok::kString:
      return "\"" + Abbreviated(t.text) + "\"";
    case JsonTok::kWord: return "'" + t.text + "'";
    case JsonTok::kEnd: return "the end of the text";
    case JsonTok::kBad: break;
  }
  return t.text;
}

}  // namespace runnel::graph
