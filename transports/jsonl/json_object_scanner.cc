#include "transports/jsonl/json_object_scanner.h"

#include <array>
#include <cfloat>
#include <charconv>
#include <cstring>
#include <system_error>

#include "core/common/utf8.h"

namespace runnel::jsonl {

namespace {

// Bytes that can be copied as they are inside a string: ASCII other than
// '"', '\\' and the control characters (the NUL after the line included).
constexpr std::array<bool, 256> PlainInString() {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}
constexpr std::array<bool, 256> kPlainInString = PlainInString();

// Exponents past this are read as this: far beyond any double either way.
constexpr int64_t kExponentCap = int64_t{1} << 40;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at `q` as a code unit, or -1. Stops at the first
// non-digit, so it never reads past the line's NUL.
int Hex4(const char* q) {
  int value = 0;
  for (int i = 0; i < 4; ++i) {
    int digit = HexValue(q[i]);
    if (digit < 0) return -1;
    value = value << 4 | digit;
  }
  return value;
}

// For a valid number in [q, end) out of a double's range: whether it is too
// small rather than too large (its first significant digit's decimal
// exponent is negative).
bool IsTiny(const char* q, const char* end) {
  if (*q == '-') ++q;
  int64_t exponent = -1;  // decimal exponent of the first significant digit
  if (*q != '0') {
    while (q < end && IsDigit(*q)) ++q, ++exponent;
  } else {
    ++q;
    if (q < end && *q == '.') {
      ++q;
      while (q < end && *q == '0') ++q, --exponent;
    }
  }
  while (q < end && *q != 'e' && *q != 'E') ++q;
  if (q == end) return exponent < 0;
  ++q;
  const bool negative = *q == '-';
  if (*q == '-' || *q == '+') ++q;
  int64_t e = 0;
  for (; q < end && e < kExponentCap; ++q) e = e * 10 + (*q - '0');
  return (negative ? exponent - e : exponent + e) < 0;
}

}  // namespace

JsonObjectScanner::JsonObjectScanner(size_t max_bytes)
    : buffer_(new char[max_bytes + 1]), max_bytes_(max_bytes) {
  buffer_[0] = '\0';
  p_ = buffer_.get();
  end_ = p_;
}

JsonObjectScanner::Start JsonObjectScanner::Begin(std::string_view text) {
  p_ = buffer_.get();
  end_ = p_;
  *p_ = '\0';
  first_ = true;
  closed_ = false;
  error_ = nullptr;
  if (text.size() > max_bytes_) {
    Fail("line too long");
    return Start::kMalformed;
  }
  std::memcpy(p_, text.data(), text.size());
  p_[text.size()] = '\0';
  end_ = p_ + text.size();
  SkipWhitespace();
  if (*p_ == '{') {
    ++p_;
    return Start::kObject;
  }
  if (Peek() != Kind::kNone) return Start::kNotObject;
  Expected("expected a JSON object");
  return Start::kMalformed;
}

bool JsonObjectScanner::NextKey(std::string_view* key) {
  if (error_ || closed_) return false;
  SkipWhitespace();
  if (*p_ == '}') {
    ++p_;
    closed_ = true;
    return false;
  }
  if (!first_) {
    if (*p_ != ',') return Expected("expected ',' or '}'");
    ++p_;
    SkipWhitespace();
  }
  first_ = false;
  return ReadKey(key);
}

bool JsonObjectScanner::ReadKey(std::string_view* key) {
  if (*p_ != '"') return Expected("expected a string key");
  if (!ReadString(key)) return false;
  SkipWhitespace();
  if (*p_ != ':') return Expected("expected ':'");
  ++p_;
  SkipWhitespace();
  return true;
}

JsonObjectScanner::Kind JsonObjectScanner::Peek() const {
  switch (*p_) {
    case '"': return Kind::kString;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return Kind::kNumber;
    case 't': return Kind::kTrue;
    case 'f': return Kind::kFalse;
    case 'n': return Kind::kNull;
    case '{': return Kind::kObject;
    case '[': return Kind::kArray;
    default: return Kind::kNone;
  }
}

bool JsonObjectScanner::ReadString(std::string_view* text) {
  if (*p_ != '"') return Expected("expected a string");
  char* const start = ++p_;
  char* out = start;  // end of the unescaped text: behind p_ after an escape
  for (;;) {
    const char* run = p_;
    while (kPlainInString[static_cast<unsigned char>(*p_)]) ++p_;
    size_t n = p_ - run;
    if (out != run) std::memmove(out, run, n);
    out += n;
    const unsigned char c = *p_;
    if (c == '"') {
      ++p_;
      *text = std::string_view(start, out - start);
      return true;
    }
    if (c == '\\') {
      if (!Unescape(&out)) return false;
    } else if (c >= 0x80) {
      n = Utf8Length(p_);
      if (n == 0) return Fail("invalid UTF-8");
      if (out != p_) std::memmove(out, p_, n);
      out += n;
      p_ += n;
    } else {
      return Fail(p_ == end_ ? "unterminated string" : "control character in string");
    }
  }
}

// The escape at p_ ('\\'), written at *out.
bool JsonObjectScanner::Unescape(char** out) {
  char c;
  switch (p_[1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': {
      int unit = Hex4(p_ + 2);
      if (unit < 0) return Fail("invalid \\u escape");
      uint32_t code_point = unit;
      size_t length = 6;
      if (unit >= 0xD800 && unit <= 0xDBFF) {  // a high surrogate: its low half must follow
        int low = p_[6] == '\\' && p_[7] == 'u' ? Hex4(p_ + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF) return Fail("unpaired surrogate in \\u escape");
        code_point = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        length = 12;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        return Fail("unpaired surrogate in \\u escape");
      }
      // At most 4 bytes out for 6 or 12 in: never past what was read.
      *out = PutUtf8(code_point, *out);
      p_ += length;
      return true;
    }
    default:
      return Fail(p_ + 1 == end_ ? "unterminated string" : "invalid escape");
  }
  *(*out)++ = c;
  p_ += 2;
  return true;
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at p_, its digits
// gathered on the way.
bool JsonObjectScanner::ScanNumber(NumberText* number) {
  number->start = p_;
  number->negative = *p_ == '-';
  number->integral = true;
  number->exponent = 0;
  uint64_t digits = 0;  // wraps past 19 digits, when it is not used
  size_t count = 0;     // digits gathered, leading zeros of a fraction included
  if (number->negative) ++p_;
  if (*p_ == '0') {
    ++p_;
  } else if (IsDigit(*p_)) {
    const char* first = p_;
    do digits = digits * 10 + (*p_++ - '0'); while (IsDigit(*p_));
    count = p_ - first;
  } else {
    return Fail("invalid number");
  }
  if (*p_ == '.') {
    number->integral = false;
    ++p_;
    if (!IsDigit(*p_)) return Fail("invalid number");
    const char* first = p_;
    do digits = digits * 10 + (*p_++ - '0'); while (IsDigit(*p_));
    number->exponent = -(p_ - first);
    count += p_ - first;
  }
  number->digits = digits;
  number->fits = count <= 19;  // 10^19 - 1 < 2^64
  if (*p_ == 'e' || *p_ == 'E') {
    number->integral = false;
    ++p_;
    const bool negative = *p_ == '-';
    if (*p_ == '+' || *p_ == '-') ++p_;
    if (!IsDigit(*p_)) return Fail("invalid number");
    int64_t e = 0;
    do {
      if (e < kExponentCap) e = e * 10 + (*p_ - '0');
      ++p_;
    } while (IsDigit(*p_));
    number->exponent += negative ? -e : e;
  }
  // "01", "1.2.3", "0x1F": the number cannot go on, and no other token may
  // start right after it.
  const char c = *p_;
  if (IsDigit(c) || c == '.' || c == '+' || c == '-' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
    return Fail("invalid number");
  }
  return true;
}

JsonObjectScanner::Number JsonObjectScanner::ReadInt64(int64_t* value) {
  NumberText number;
  if (!ScanNumber(&number)) return Number::kMalformed;
  if (!number.integral) return Number::kNotInteger;
  const uint64_t limit = number.negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (!number.fits || number.digits > limit) return Number::kOutOfRange;
  // -(2^63) written without overflowing an int64_t on the way.
  *value = number.negative && number.digits > 0 ? -static_cast<int64_t>(number.digits - 1) - 1
                                                 : static_cast<int64_t>(number.digits);
  return Number::kOk;
}

JsonObjectScanner::Number JsonObjectScanner::ReadDouble(double* value) {
  NumberText number;
  if (!ScanNumber(&number)) return Number::kMalformed;
  // Clinger's fast path, which nearly every sensor value takes: digits
  // (without the point) up to 2^53 and a power of ten up to 10^22 are both
  // exact doubles, so one IEEE multiplication or division rounds the value
  // correctly, where double arithmetic is not done in a wider type.
  static constexpr double kExactPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                            1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (FLT_EVAL_METHOD == 0 && number.fits && number.digits <= (uint64_t{1} << 53) &&
      number.exponent >= -22 && number.exponent <= 22) {
    double d = static_cast<double>(number.digits);
    d = number.exponent < 0 ? d / kExactPowers[-number.exponent]
                            : d * kExactPowers[number.exponent];
    *value = number.negative ? -d : d;
    return Number::kOk;
  }
  // Everything else: GCC 12's from_chars is correctly rounded too (no
  // locale, no allocation).
  const std::from_chars_result result = std::from_chars(number.start, p_, *value);
  if (result.ec == std::errc::result_out_of_range) {
    if (!IsTiny(number.start, p_)) return Number::kOutOfRange;
    *value = number.negative ? -0.0 : 0.0;
  } else if (result.ec != std::errc() || result.ptr != p_) {
    Fail("invalid number");
    return Number::kMalformed;
  }
  return Number::kOk;
}

bool JsonObjectScanner::ReadLiteral() {
  const char* word = *p_ == 't' ? "true" : *p_ == 'f' ? "false" : *p_ == 'n' ? "null" : nullptr;
  if (word == nullptr) return Expected("expected a value");
  for (; *word != '\0'; ++word, ++p_) {
    if (*p_ != *word) return Expected("invalid literal");
  }
  return true;
}

void JsonObjectScanner::SetLevel(int depth, bool object) {
  const uint64_t bit = uint64_t{1} << (depth % 64);
  if (object) {
    levels_[depth / 64] |= bit;
  } else {
    levels_[depth / 64] &= ~bit;
  }
}

bool JsonObjectScanner::SkipValue() {
  int depth = 0;  // objects and arrays open inside the value
  for (;;) {
    // At a value (whitespace before it skipped).
    switch (Peek()) {
      case Kind::kString: {
        std::string_view text;
        if (!ReadString(&text)) return false;
        break;
      }
      case Kind::kNumber: {
        NumberText number;
        if (!ScanNumber(&number)) return false;
        break;
      }
      case Kind::kTrue:
      case Kind::kFalse:
      case Kind::kNull:
        if (!ReadLiteral()) return false;
        break;
      case Kind::kObject:
      case Kind::kArray: {
        if (depth == kMaxDepth) return Fail("nested too deep");
        const bool object = *p_ == '{';
        SetLevel(depth++, object);
        ++p_;
        SkipWhitespace();
        if (*p_ == (object ? '}' : ']')) {  // empty
          ++p_;
          --depth;
          break;
        }
        std::string_view key;
        if (object && !ReadKey(&key)) return false;
        continue;  // at its first value
      }
      case Kind::kNone:
        return Expected("expected a value");
    }
    // After a value: close levels until a ',' leads to the next value.
    for (;;) {
      if (depth == 0) return true;
      SkipWhitespace();
      const bool object = IsObject(depth - 1);
      if (*p_ == ',') {
        ++p_;
        SkipWhitespace();
        std::string_view key;
        if (object && !ReadKey(&key)) return false;
        break;
      }
      if (*p_ != (object ? '}' : ']')) {
        return Expected(object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      ++p_;
      --depth;
    }
  }
}

bool JsonObjectScanner::Finish() {
  if (error_) return false;
  if (!closed_) return Expected("expected ',' or '}'");
  SkipWhitespace();
  if (p_ != end_) return Fail("text after the object");
  return true;
}

bool JsonObjectScanner::Fail(const char* reason) {
  error_ = reason;
  error_column_ = p_ - buffer_.get() + 1;
  return false;
}

bool JsonObjectScanner::Expected(const char* what) {
  return Fail(p_ == end_ ? "unexpected end of line" : what);
}

}  // namespace runnel::jsonl
