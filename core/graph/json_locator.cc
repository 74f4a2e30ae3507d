#include "core/graph/json_locator.h"

#include <cctype>

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
  int line = 1;
  size_t line_start = 0;
  bool expect_key = false;  // in an object, before the ':' of the next member
  // Levels opened past kMaxJsonDepth: not recorded (the reader refuses such
  // a text; recording them would take memory quadratic in the depth).
  int too_deep = 0;

  auto column = [&](size_t pos) { return static_cast<int>(pos - line_start) + 1; };
  auto value_path = [&]() { return stack.empty() ? std::string() : Join(stack.back()); };

  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      for (i += 2; i + 1 < text.size() && !(text[i] == '*' && text[i + 1] == '/'); ++i) {
        if (text[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
      }
      ++i;
    } else if ((c == '{' || c == '[') &&
               (too_deep > 0 || static_cast<int>(stack.size()) >= kMaxJsonDepth)) {
      ++too_deep;
    } else if ((c == '}' || c == ']') && too_deep > 0) {
      --too_deep;
    } else if (too_deep > 0 && (c == ',' || c == ':')) {
      continue;
    } else if (c == '{' || c == '[') {
      std::string path = value_path();
      entries_.push_back({path, line, column(i)});
      stack.push_back({c == '[', path, 0, ""});
      expect_key = (c == '{');
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      expect_key = false;
    } else if (c == ',') {
      if (!stack.empty()) {
        if (stack.back().is_array) {
          ++stack.back().next_index;
        } else {
          expect_key = true;
        }
      }
    } else if (c == ':') {
      expect_key = false;
    } else if (c == '"' || std::isalnum(static_cast<unsigned char>(c)) ||
               c == '-' || c == '_' || c == '+' || c == '.') {
      // A string, number, literal, or (FlatBuffers allows it) a bare key.
      size_t start = i;
      std::string word;
      if (c == '"') {
        for (++i; i < text.size() && text[i] != '"'; ++i) {
          if (text[i] == '\\' && i + 1 < text.size()) ++i;
          word += text[i];
        }
      } else {
        while (i < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[i])) ||
                text[i] == '-' || text[i] == '_' || text[i] == '+' || text[i] == '.')) {
          word += text[i++];
        }
        --i;
      }
      if (too_deep > 0) continue;
      if (expect_key && !stack.empty() && !stack.back().is_array) {
        stack.back().key = word;
        entries_.push_back({Join(stack.back()), line, column(start)});
      } else {
        entries_.push_back({value_path(), line, column(start)});
      }
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
