// Utf8: checking and writing UTF-8, shared by the two JSON readers (graph
// files, core/graph/json_tree.h; JSON lines, transports/jsonl). Inline: the
// JSON-lines scanner calls it on the hot path. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace runnel {

// Length (2-4) of the well-formed UTF-8 sequence at `q`, whose first byte is
// >= 0x80, or 0: Unicode's Table 3-7, so no overlong forms, surrogates or
// code points past U+10FFFF. It stops at the first bad byte, so a NUL after
// the text ends any sequence: REQUIRES the text to be NUL-terminated.
inline size_t Utf8Length(const char* q) {
  auto in = [](char c, unsigned lo, unsigned hi) {
    const unsigned u = static_cast<unsigned char>(c);
    return u >= lo && u <= hi;
  };
  auto cont = [&](char b) { return in(b, 0x80, 0xBF); };
  const unsigned char c = q[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(q[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return in(q[1], lo, hi) && cont(q[2]) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return in(q[1], lo, hi) && cont(q[2]) && cont(q[3]) ? 4 : 0;
  }
  return 0;
}

// Whether `s` is well-formed UTF-8 (std::string keeps a NUL after its end).
inline bool IsValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8Length(s.c_str() + i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Writes `code_point` (at most U+10FFFF, not a surrogate) as UTF-8 at `out`;
// returns the end of what it wrote (1-4 bytes).
inline char* PutUtf8(uint32_t code_point, char* out) {
  if (code_point < 0x80) {
    *out++ = static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    *out++ = static_cast<char>(0xC0 | code_point >> 6);
    *out++ = static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    *out++ = static_cast<char>(0xE0 | code_point >> 12);
    *out++ = static_cast<char>(0x80 | (code_point >> 6 & 0x3F));
    *out++ = static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | code_point >> 18);
    *out++ = static_cast<char>(0x80 | (code_point >> 12 & 0x3F));
    *out++ = static_cast<char>(0x80 | (code_point >> 6 & 0x3F));
    *out++ = static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return out;
}

}  // namespace runnel
