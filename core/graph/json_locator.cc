#include "core/graph/json_locator.h"

#include <utility>

#include "core/graph/json_lexer.h"
#include "core/graph/json_tree.h"

namespace runnel::graph {
namespace {

// One open object or array while walking the text.
struct Frame {
  bool is_array;
  std::string path;  // path of the container itself
  int next_index;    // arrays: index of the next element
  std::string key;   // objects: the key whose value comes next
};

std::string Join(const Frame& frame) {
  if (frame.is_array) {
    return frame.path + "[" + std::to_string(frame.next_index) + "]";
  }
  return frame.path.empty() ? frame.key : frame.path + "." + frame.key;
}

}  // namespace

JsonLocator::JsonLocator(std::string_view text) {
  std::vector<Frame> stack;
  bool expect_key = false;  // in an object, before the ':' of the next member
  // Levels opened past kMaxJsonDepth: not recorded (the reader refuses such
  // a text; recording them would take memory quadratic in the depth).
  int too_deep = 0;
  auto value_path = [&]() { return stack.empty() ? std::string() : Join(stack.back()); };

  JsonLexer lexer(text);
  for (JsonToken t = lexer.Next(); t.kind != JsonTok::kEnd; t = lexer.Next()) {
    const bool opens = t.kind == JsonTok::kOpenObject || t.kind == JsonTok::kOpenArray;
    const bool closes = t.kind == JsonTok::kCloseObject || t.kind == JsonTok::kCloseArray;
    if (too_deep > 0 || (opens && static_cast<int>(stack.size()) >= kMaxJsonDepth)) {
      too_deep += opens ? 1 : closes ? -1 : 0;
      continue;
    }
    switch (t.kind) {
      case JsonTok::kOpenObject:
      case JsonTok::kOpenArray: {
        std::string path = value_path();
        entries_.push_back({path, t.line, t.column});
        stack.push_back({t.kind == JsonTok::kOpenArray, std::move(path), 0, ""});
        expect_key = t.kind == JsonTok::kOpenObject;
        break;
      }
      case JsonTok::kCloseObject:
      case JsonTok::kCloseArray:
        if (!stack.empty()) stack.pop_back();
        expect_key = false;
        break;
      case JsonTok::kComma:
        if (stack.empty()) break;
        if (stack.back().is_array) {
          ++stack.back().next_index;
        } else {
          expect_key = true;
        }
        break;
      case JsonTok::kColon:
        expect_key = false;
        break;
      case JsonTok::kString:
      case JsonTok::kWord:
        if (expect_key && !stack.empty() && !stack.back().is_array) {
          stack.back().key = std::move(t.text);
          entries_.push_back({Join(stack.back()), t.line, t.column});
        } else {
          entries_.push_back({value_path(), t.line, t.column});
        }
        break;
      case JsonTok::kEnd:
      case JsonTok::kBad:
        break;
    }
  }
}

int JsonLocator::LineOf(std::string_view path) const {
  std::string wanted(path);
  while (true) {
    for (const Place& e : entries_) {
      if (e.path == wanted) return e.line;
    }
    if (wanted.empty()) return 1;
    size_t cut = wanted.find_last_of(".[");
    wanted.resize(cut == std::string::npos ? 0 : cut);
  }
}

std::string JsonLocator::PathAt(int line, int column) const {
  std::string path;
  for (const Place& e : entries_) {
    if (e.line > line || (e.line == line && e.column > column)) break;
    path = e.path;
  }
  return path;
}

}  // namespace runnel::graph
