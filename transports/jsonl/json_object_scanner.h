// JsonObjectScanner: reads one JSON object (a JSON-lines record) member by
// member, for JsonlDecoder. Runnel has its own scanner so that nothing in
// the shipped binary needs the shared libstdc++: Debian's simdjson, used
// before, comes only as a shared library, which loads it.
//
// The text is checked against RFC 8259 as it is read: whitespace between
// tokens, numbers (no leading zeros, no "1." or "-"), literals, strings
// (valid escapes and \u surrogate pairs, no raw control characters, valid
// UTF-8), brackets that match, and nothing but whitespace after the object.
// Values the caller does not want are skipped with the same checks, so a
// malformed line is never half accepted. Nesting deeper than kMaxDepth
// levels inside a skipped value is rejected.
//
// Memory: one buffer of max_bytes + 1, allocated at construction. Begin
// copies the line into it with a NUL after it, so the scanner stops at the
// end without checking bounds (a NUL is never valid where it looks for
// structure), and strings are unescaped in place (an escape never gets
// longer unescaped). No method allocates or throws. Views it returns point
// into the buffer and stay valid until the next Begin. Not thread-safe.
//
// Use:
//   if (scanner.Begin(line) != JsonObjectScanner::Start::kObject) ...
//   std::string_view key;
//   while (scanner.NextKey(&key)) {
//     // Peek() and one Read...() of that kind, or SkipValue()
//   }
//   if (!scanner.Finish()) ...  // error() says why
// Every call that returns false or kMalformed, but NextKey at the closing
// '}', has set error(); the line is then given up (Begin the next one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/common/byte_count.h"

namespace runnel::jsonl {

class JsonObjectScanner {
 public:
  // Levels of objects and arrays a skipped value may open.
  static constexpr int kMaxDepth = 1024;

  enum class Start { kObject, kNotObject, kMalformed };
  // What the value at the cursor is, from its first character. kNone: no
  // value can start there (the line is malformed).
  enum class Kind { kString, kNumber, kTrue, kFalse, kNull, kObject, kArray, kNone };
  enum class Number {
    kOk,
    kNotInteger,  // ReadInt64: a valid number with a fraction or exponent
    kOutOfRange,  // does not fit an int64_t, or is too large for a double
    kMalformed,   // not an RFC 8259 number; see error()
  };

  explicit JsonObjectScanner(size_t max_bytes);

  JsonObjectScanner(const JsonObjectScanner&) = delete;
  JsonObjectScanner& operator=(const JsonObjectScanner&) = delete;

  // Bytes a scanner for lines of `max_bytes` allocates (64 bits on every
  // target, core/common/byte_count.h).
  static uint64_t FootprintBytes(uint64_t max_bytes) { return SaturatingAdd(max_bytes, 1); }

  // Starts on `text` (longer than max_bytes: kMalformed). kObject: the
  // cursor is inside the object's '{'. kNotObject: the text starts with
  // another kind of value.
  Start Begin(std::string_view text);

  // The next member's key (unescaped), leaving the cursor at its value.
  // False at the object's closing '}' or on malformed JSON.
  bool NextKey(std::string_view* key);

  Kind Peek() const;

  // Each reads the value at the cursor, which must be of its kind (or the
  // line is malformed), and moves past it.
  bool ReadString(std::string_view* text);  // unescaped
  Number ReadInt64(int64_t* value);
  // Any number; one too small for a double reads as 0 (or -0).
  Number ReadDouble(double* value);
  bool ReadLiteral();  // true, false or null

  // Moves past the value at the cursor, whatever its kind, checking it.
  bool SkipValue();

  // After NextKey returned false: whether the object was closed and only
  // whitespace follows it.
  bool Finish();

  // Why the line is malformed, e.g. "invalid escape"; nullptr if it is not
  // (yet). error_column(): 1-based byte position where that was found.
  const char* error() const { return error_; }
  size_t error_column() const { return error_column_; }

 private:
  bool ReadKey(std::string_view* key);  // a string, ':' and whitespace

  // A number's text, read by ScanNumber.
  struct NumberText {
    const char* start;
    bool negative;
    bool integral;  // no fraction, no exponent
    bool fits;      // its digits, without the point, fit `digits`
    uint64_t digits;
    int64_t exponent;  // value = digits * 10^exponent (capped far out)
  };

  bool ScanNumber(NumberText* number);
  bool Unescape(char** out);
  void SkipWhitespace() {
    while (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r') ++p_;
  }
  bool Fail(const char* reason);
  // Fail(what), or Fail("unexpected end of line") at the line's end.
  bool Expected(const char* what);

  // Whether open level `depth` of a skipped value is an object (else an array).
  bool IsObject(int depth) const { return (levels_[depth / 64] >> (depth % 64)) & 1; }
  void SetLevel(int depth, bool object);

  std::unique_ptr<char[]> buffer_;  // max_bytes_ + 1
  size_t max_bytes_;
  char* p_;                         // the cursor, in buffer_
  const char* end_;                 // the line's end: its NUL
  bool first_ = true;               // no member read yet
  bool closed_ = false;             // the closing '}' was read
  const char* error_ = nullptr;
  size_t error_column_ = 0;
  uint64_t levels_[kMaxDepth / 64] = {};  // a bit per open level in SkipValue
};

}  // namespace runnel::jsonl
