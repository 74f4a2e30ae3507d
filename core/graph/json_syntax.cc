#include "core/graph/json_syntax.h"

#include <cctype>

namespace runnel::graph {
namespace {

enum class Tok { kOpenObject, kCloseObject, kOpenArray, kCloseArray, kColon, kComma,
                 kString, kWord, kEnd, kBad };

struct Token {
  Tok kind;
  int line;
  int column;
  std::string text;  // kString, kWord: the text; kBad: what is wrong
};

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
         c == '.';
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token Next() {
    SkipSpaceAndComments();
    if (!bad_comment_.empty()) {
      Token t{Tok::kBad, bad_line_, bad_column_, std::move(bad_comment_)};
      bad_comment_.clear();
      return t;
    }
    Token t{Tok::kEnd, line_, Column(), ""};
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    switch (c) {
      case '{': t.kind = Tok::kOpenObject; ++pos_; return t;
      case '}': t.kind = Tok::kCloseObject; ++pos_; return t;
      case '[': t.kind = Tok::kOpenArray; ++pos_; return t;
      case ']': t.kind = Tok::kCloseArray; ++pos_; return t;
      case ':': t.kind = Tok::kColon; ++pos_; return t;
      case ',': t.kind = Tok::kComma; ++pos_; return t;
      case '"':
      case '\'':
        return String(t, c);
      default:
        break;
    }
    if (IsWordChar(c)) {
      t.kind = Tok::kWord;
      while (pos_ < text_.size() && IsWordChar(text_[pos_])) t.text += text_[pos_++];
      return t;
    }
    t.kind = Tok::kBad;
    t.text = std::string("unexpected character '") + c + "'";
    ++pos_;
    return t;
  }

 private:
  int Column() const { return static_cast<int>(pos_ - line_start_) + 1; }

  void NewLine() {
    ++line_;
    line_start_ = pos_ + 1;
  }

  void SkipSpaceAndComments() {
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

  // A string quoted by `quote`; one without its closing quote on its line
  // is bad, and the line break ends it.
  Token String(Token t, char quote) {
    for (++pos_; pos_ < text_.size() && text_[pos_] != quote && text_[pos_] != '\n'; ++pos_) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        t.text += text_[pos_++];
      }
      t.text += text_[pos_];
    }
    if (pos_ >= text_.size() || text_[pos_] == '\n') {
      t.kind = Tok::kBad;
      t.text = "unterminated string";
      return t;
    }
    ++pos_;
    t.kind = Tok::kString;
    return t;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  std::string bad_comment_;  // an unterminated comment, reported once
  int bad_line_ = 0;
  int bad_column_ = 0;
};

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kOpenObject: return "'{'";
    case Tok::kCloseObject: return "'}'";
    case Tok::kOpenArray: return "'['";
    case Tok::kCloseArray: return "']'";
    case Tok::kColon: return "':'";
    case Tok::kComma: return "','";
    case Tok::kString:
      return "\"" + (t.text.size() > 24 ? t.text.substr(0, 24) + "..." : t.text) + "\"";
    case Tok::kWord: return "'" + t.text + "'";
    case Tok::kEnd: return "the end of the text";
    case Tok::kBad: break;
  }
  return t.text;
}

bool IsScalar(const Token& t) { return t.kind == Tok::kString || t.kind == Tok::kWord; }

// Where a container's parser is: what may come next.
enum class State {
  kKeyOrClose,    // objects: after '{' or ','
  kColon,         // objects: after a key
  kValue,         // objects: after ':'
  kValueOrClose,  // arrays: after '[' or ','
  kCommaOrClose,  // after a member or element
  kResync,        // after skipping a bad line: ',' or a close, or the next
                  // member or element without its comma
};

struct Frame {
  bool is_object;
  State state;
};

class Checker {
 public:
  Checker(std::string_view text, size_t max_errors) : lexer_(text), max_errors_(max_errors) {}

  std::vector<JsonSyntaxError> Run() {
    while (!done_) Step(Next());
    return std::move(errors_);
  }

 private:
  Token Next() {
    if (has_pending_) {
      has_pending_ = false;
      return std::move(pending_);
    }
    return lexer_.Next();
  }

  void Step(const Token& t) {
    if (t.kind == Tok::kBad) return Fail(t, t.text);
    if (stack_.empty()) return StepTopLevel(t);
    Frame& f = stack_.back();
    if (t.kind == Tok::kEnd) {
      return Fail(t, std::string("expected ") + (f.is_object ? "'}'" : "']'") +
                         ", found the end of the text");
    }
    switch (f.state) {
      case State::kKeyOrClose:
        if (t.kind == Tok::kCloseObject) return Close();
        if (IsScalar(t)) {
          f.state = State::kColon;
          return;
        }
        return Expected(t, "a key or '}'");
      case State::kColon:
        if (t.kind == Tok::kColon) {
          f.state = State::kValue;
          return;
        }
        return Expected(t, "':'");
      case State::kValue:
        if (StartValue(t)) return;
        return Expected(t, "a value");
      case State::kValueOrClose:
        if (t.kind == Tok::kCloseArray) return Close();
        if (StartValue(t)) return;
        return Expected(t, "a value or ']'");
      case State::kCommaOrClose:
        if (t.kind == Tok::kComma) {
          f.state = f.is_object ? State::kKeyOrClose : State::kValueOrClose;
          return;
        }
        if (t.kind == (f.is_object ? Tok::kCloseObject : Tok::kCloseArray)) return Close();
        return Expected(t, f.is_object ? "',' or '}'" : "',' or ']'");
      case State::kResync:
        if (t.kind == Tok::kComma) {
          f.state = f.is_object ? State::kKeyOrClose : State::kValueOrClose;
          return;
        }
        if (t.kind == (f.is_object ? Tok::kCloseObject : Tok::kCloseArray)) return Close();
        if (f.is_object && IsScalar(t)) {
          f.state = State::kColon;
          return;
        }
        if (!f.is_object && StartValue(t)) return;
        return SkipLine(t);  // not a fresh start either: no second guess
    }
  }

  void StepTopLevel(const Token& t) {
    if (root_seen_) {
      if (t.kind != Tok::kEnd) Expected(t, "the end of the text");
      done_ = true;  // nothing sensible to resume at after the root
      return;
    }
    root_seen_ = true;
    if (t.kind == Tok::kOpenObject || t.kind == Tok::kOpenArray) {
      stack_.push_back({t.kind == Tok::kOpenObject,
                        t.kind == Tok::kOpenObject ? State::kKeyOrClose : State::kValueOrClose});
    } else if (!IsScalar(t)) {
      Expected(t, "'{'");
      done_ = true;
    }
  }

  // Starts the value `t` of the current container; false if it is none.
  bool StartValue(const Token& t) {
    if (!IsScalar(t) && t.kind != Tok::kOpenObject && t.kind != Tok::kOpenArray) return false;
    stack_.back().state = State::kCommaOrClose;
    if (t.kind == Tok::kOpenObject) stack_.push_back({true, State::kKeyOrClose});
    if (t.kind == Tok::kOpenArray) stack_.push_back({false, State::kValueOrClose});
    return true;
  }

  void Close() {
    stack_.pop_back();
    if (!stack_.empty()) stack_.back().state = State::kCommaOrClose;
  }

  void Expected(const Token& t, const std::string& what) {
    Fail(t, "expected " + what + ", found " + Describe(t));
  }

  void Fail(const Token& t, const std::string& message) {
    if (!errors_.empty() && t.kind == Tok::kEnd) {
      done_ = true;  // likely a bracket an earlier error left open
      return;
    }
    errors_.push_back({t.line, t.column, message});
    if (errors_.size() >= max_errors_) {
      done_ = true;
      return;
    }
    SkipLine(t);
  }

  // Skips `t` and the rest of its line, following the brackets on it, and
  // resumes at the next line. Stops at a bracket that does not match.
  void SkipLine(const Token& t) {
    for (Token s = t; !done_; s = Next()) {
      if (s.line != t.line) {
        pending_ = std::move(s);
        has_pending_ = true;
        break;
      }
      switch (s.kind) {
        case Tok::kOpenObject:
        case Tok::kOpenArray:
          stack_.push_back({s.kind == Tok::kOpenObject, State::kResync});
          break;
        case Tok::kCloseObject:
        case Tok::kCloseArray:
          if (stack_.empty() || stack_.back().is_object != (s.kind == Tok::kCloseObject)) {
            done_ = true;
            return;
          }
          Close();
          break;
        case Tok::kEnd:
          done_ = true;
          return;
        default:
          break;
      }
    }
    if (stack_.empty()) {
      done_ = true;  // the root closed on a bad line: nothing to resume in
      return;
    }
    stack_.back().state = State::kResync;
  }

  Lexer lexer_;
  size_t max_errors_;
  std::vector<Frame> stack_;
  std::vector<JsonSyntaxError> errors_;
  Token pending_{Tok::kEnd, 0, 0, ""};
  bool has_pending_ = false;
  bool root_seen_ = false;
  bool done_ = false;
};

}  // namespace

std::vector<JsonSyntaxError> FindJsonSyntaxErrors(std::string_view text, size_t max_errors) {
  if (max_errors == 0) return {};
  return Checker(text, max_errors).Run();
}

}  // namespace runnel::graph
