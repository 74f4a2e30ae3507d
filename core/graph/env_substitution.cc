#include "core/graph/env_substitution.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/graph/json_locator.h"

namespace runnel::graph {
namespace {

constexpr const char* kSyntaxHint =
    "write ${NAME} or ${NAME:-default}, and $$ for a literal $";

bool IsValidName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

void AppendEscaped(const char* value, std::string* out) {
  for (const char* p = value; *p != '\0'; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      *out += escaped;
    } else {
      *out += static_cast<char>(c);
    }
  }
}

// The end of the JSON string whose opening quote is at `open`: the index of
// its closing quote (or text.size() if there is none).
size_t StringEnd(std::string_view text, size_t open) {
  size_t i = open + 1;
  while (i < text.size() && text[i] != '"') i += (text[i] == '\\') ? 2 : 1;
  return i < text.size() ? i : text.size();
}

// Whether the string ending at `close` is an object key.
bool IsKey(std::string_view text, size_t close) {
  size_t i = close + 1;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i < text.size() && text[i] == ':';
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> const char* { return getenv(name.c_str()); };
}

std::string SubstituteEnvInString(std::string_view raw, const EnvLookup& env,
                                  std::vector<std::string>* problems) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    char c = raw[i];
    if (c != '$' || i + 1 >= raw.size() || (raw[i + 1] != '$' && raw[i + 1] != '{')) {
      out += c;
      ++i;
      continue;
    }
    if (raw[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    size_t close = raw.find('}', i + 2);
    if (close == std::string_view::npos) {
      problems->push_back("unterminated '${' (" + std::string(kSyntaxHint) + ")");
      out.append(raw.substr(i));
      break;
    }
    std::string_view inner = raw.substr(i + 2, close - i - 2);
    size_t dash = inner.find(":-");
    std::string_view name = inner.substr(0, dash);
    if (!IsValidName(name)) {
      problems->push_back("'${" + std::string(inner) +
                          "}' is not an environment variable reference (" + kSyntaxHint + ")");
    } else {
      const char* value = env ? env(std::string(name)) : nullptr;
      if (dash != std::string_view::npos) {
        if (value != nullptr && *value != '\0') {
          AppendEscaped(value, &out);
        } else {
          out.append(inner.substr(dash + 2));
        }
      } else if (value != nullptr) {
        AppendEscaped(value, &out);
      } else {
        problems->push_back("environment variable " + std::string(name) +
                            " is not set (no default)");
      }
    }
    i = close + 1;
  }
  return out;
}

std::string SubstituteEnvInJson(std::string_view json, const EnvLookup& env,
                                Diagnostics* diagnostics) {
  std::string out;
  out.reserve(json.size());
  std::unique_ptr<JsonLocator> locator;  // built only when there is a problem
  int line = 1;
  size_t line_start = 0;
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    }
    if (c != '"') {
      out += c;
      ++i;
      continue;
    }
    size_t close = StringEnd(json, i);
    std::string_view raw = json.substr(i + 1, close - i - 1);
    out += '"';
    if (raw.find('$') == std::string_view::npos || IsKey(json, close)) {
      out.append(raw);
    } else {
      std::vector<std::string> problems;
      out += SubstituteEnvInString(raw, env, &problems);
      if (!problems.empty() && !locator) locator = std::make_unique<JsonLocator>(json);
      for (std::string& problem : problems) {
        int column = static_cast<int>(i - line_start) + 1;
        diagnostics->Add(locator->PathAt(line, column), std::move(problem));
      }
    }
    if (close < json.size()) out += '"';
    i = close + 1;
  }
  return out;
}

}  // namespace runnel::graph
