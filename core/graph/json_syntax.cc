#include "core/graph/json_syntax.h"

#include "core/graph/json_lexer.h"

namespace runnel::graph {
namespace {

bool IsScalar(const JsonToken& t) {
  return t.kind == JsonTok::kString || t.kind == JsonTok::kWord;
}

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
  JsonToken Next() {
    if (has_pending_) {
      has_pending_ = false;
      return std::move(pending_);
    }
    return lexer_.Next();
  }

  void Step(const JsonToken& t) {
    if (t.kind == JsonTok::kBad) return Fail(t, t.text);
    if (stack_.empty()) return StepTopLevel(t);
    Frame& f = stack_.back();
    if (t.kind == JsonTok::kEnd) {
      return Fail(t, std::string("expected ") + (f.is_object ? "'}'" : "']'") +
                         ", found the end of the text");
    }
    switch (f.state) {
      case State::kKeyOrClose:
        if (t.kind == JsonTok::kCloseObject) return Close();
        if (IsScalar(t)) {
          f.state = State::kColon;
          return;
        }
        return Expected(t, "a key or '}'");
      case State::kColon:
        if (t.kind == JsonTok::kColon) {
          f.state = State::kValue;
          return;
        }
        return Expected(t, "':'");
      case State::kValue:
        if (StartValue(t)) return;
        return Expected(t, "a value");
      case State::kValueOrClose:
        if (t.kind == JsonTok::kCloseArray) return Close();
        if (StartValue(t)) return;
        return Expected(t, "a value or ']'");
      case State::kCommaOrClose:
        if (t.kind == JsonTok::kComma) {
          f.state = f.is_object ? State::kKeyOrClose : State::kValueOrClose;
          return;
        }
        if (t.kind == (f.is_object ? JsonTok::kCloseObject : JsonTok::kCloseArray)) return Close();
        return Expected(t, f.is_object ? "',' or '}'" : "',' or ']'");
      case State::kResync:
        if (t.kind == JsonTok::kComma) {
          f.state = f.is_object ? State::kKeyOrClose : State::kValueOrClose;
          return;
        }
        if (t.kind == (f.is_object ? JsonTok::kCloseObject : JsonTok::kCloseArray)) return Close();
        if (f.is_object && IsScalar(t)) {
          f.state = State::kColon;
          return;
        }
        if (!f.is_object && StartValue(t)) return;
        return SkipLine(t);  // not a fresh start either: no second guess
    }
  }

  void StepTopLevel(const JsonToken& t) {
    if (root_seen_) {
      if (t.kind != JsonTok::kEnd) Expected(t, "the end of the text");
      done_ = true;  // nothing sensible to resume at after the root
      return;
    }
    root_seen_ = true;
    if (t.kind == JsonTok::kOpenObject || t.kind == JsonTok::kOpenArray) {
      stack_.push_back({t.kind == JsonTok::kOpenObject,
                        t.kind == JsonTok::kOpenObject ? State::kKeyOrClose
                                                        : State::kValueOrClose});
    } else if (!IsScalar(t)) {
      Expected(t, "'{'");
      done_ = true;
    }
  }

  // Starts the value `t` of the current container; false if it is none.
  bool StartValue(const JsonToken& t) {
    if (!IsScalar(t) && t.kind != JsonTok::kOpenObject && t.kind != JsonTok::kOpenArray) {
      return false;
    }
    stack_.back().state = State::kCommaOrClose;
    if (t.kind == JsonTok::kOpenObject) stack_.push_back({true, State::kKeyOrClose});
    if (t.kind == JsonTok::kOpenArray) stack_.push_back({false, State::kValueOrClose});
    return true;
  }

  void Close() {
    stack_.pop_back();
    if (!stack_.empty()) stack_.back().state = State::kCommaOrClose;
  }

  void Expected(const JsonToken& t, const std::string& what) {
    Fail(t, "expected " + what + ", found " + DescribeJsonToken(t));
  }

  void Fail(const JsonToken& t, const std::string& message) {
    if (!errors_.empty() && t.kind == JsonTok::kEnd) {
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
  void SkipLine(const JsonToken& t) {
    for (JsonToken s = t; !done_; s = Next()) {
      if (s.line != t.line) {
        pending_ = std::move(s);
        has_pending_ = true;
        break;
      }
      switch (s.kind) {
        case JsonTok::kOpenObject:
        case JsonTok::kOpenArray:
          stack_.push_back({s.kind == JsonTok::kOpenObject, State::kResync});
          break;
        case JsonTok::kCloseObject:
        case JsonTok::kCloseArray:
          if (stack_.empty() || stack_.back().is_object != (s.kind == JsonTok::kCloseObject)) {
            done_ = true;
            return;
          }
          Close();
          break;
        case JsonTok::kEnd:
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

  JsonLexer lexer_;
  size_t max_errors_;
  std::vector<Frame> stack_;
  std::vector<JsonSyntaxError> errors_;
  JsonToken pending_{JsonTok::kEnd, 0, 0, ""};
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
