#include "core/schema/value_text.h"

#include <charconv>
#include <cstring>

#include "core/schema/null.h"

namespace runnel::schema {
namespace {

bool ParseI64(std::string_view text, int64_t* value) {
  const char* end = text.data() + text.size();
  const char* begin = text.data();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *value);
  return ec == std::errc() && ptr == end;
}

bool ParseF64(std::string_view text, double* value) {
  const char* end = text.data() + text.size();
  const char* begin = text.data();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *value);
  return ec == std::errc() && ptr == end;
}

bool ParseBool(std::string_view text, int64_t* value) {
  if (text == "true" || text == "1") {
    *value = 1;
  } else if (text == "false" || text == "0") {
    *value = 0;
  } else {
    return false;
  }
  return true;
}

bool ParseTs(std::string_view text, TimeUnit unit, int64_t* nanos) {
  int64_t value;
  if (!ParseI64(text, &value)) return false;
  return !__builtin_mul_overflow(value, NanosPerUnit(unit), nanos);
}

char* Copy(std::string_view text, char* out, char* end) {
  if (static_cast<size_t>(end - out) < text.size()) return nullptr;
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

char* FormatI64(int64_t value, char* out, char* end) {
  auto [ptr, ec] = std::to_chars(out, end, value);
  return ec == std::errc() ? ptr : nullptr;
}

// Sensor values are mostly a few decimals of moderate size: for magnitudes
// in [kFastMin, kFastMax) with at most kFastDecimals decimals, FormatF64
// writes them directly; anything else goes to std::to_chars.
constexpr double kFastMin = 1e-3;
constexpr double kFastMax = 1e9;
constexpr int kFastDecimals = 6;
constexpr double kFastScale = 1e6;  // 10^kFastDecimals
// Sign, 9 integer digits, point, 6 decimals.
constexpr size_t kFastMaxBytes = 17;

// The digits of `value` (> 0) at out; returns their end.
char* WriteDigits(uint64_t value, char* out) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

// Writes exactly what std::to_chars(out, end, value) writes: the shortest
// text that reads back to `value`, in fixed notation unless scientific is
// shorter. The fast path finds the shortest decimals directly: if value
// reads back from round(value * 10^6) / 10^6, that integer with its
// trailing zeros stripped holds the fewest digits that do, and in
// [kFastMin, kFastMax) fixed notation is never longer than scientific
// (except for an integer with many trailing zeros, checked).
// //tests/core/schema:value_text_test compares both over millions of values.
char* FormatF64(double value, char* out, char* end) {
  const double magnitude = value < 0 ? -value : value;
  if (magnitude >= kFastMin && magnitude < kFastMax &&
      static_cast<size_t>(end - out) >= kFastMaxBytes) {
    const double scaled = static_cast<double>(static_cast<uint64_t>(magnitude * kFastScale + 0.5));
    if (scaled / kFastScale == magnitude) {
      uint64_t digits = static_cast<uint64_t>(scaled);
      int decimals = kFastDecimals;
      while (decimals > 0 && digits % 10 == 0) {
        digits /= 10;
        --decimals;
      }
      uint64_t divisor = 1;
      for (int i = 0; i < decimals; ++i) divisor *= 10;
      const uint64_t integer = digits / divisor;
      bool fixed = true;
      if (decimals == 0) {
        // n digits in fixed; scientific has the significant ones, a point
        // if more than one, and "e+NN".
        int n = 0, trailing_zeros = 0;
        for (uint64_t v = integer; v != 0; v /= 10) ++n;
        for (uint64_t v = integer; v % 10 == 0; v /= 10) ++trailing_zeros;
        const int significant = n - trailing_zeros;
        fixed = n <= significant + (significant > 1 ? 1 : 0) + 4;
      }
      if (fixed) {
        if (value < 0) *out++ = '-';
        out = integer == 0 ? (*out = '0', out + 1) : WriteDigits(integer, out);
        if (decimals > 0) {
          *out++ = '.';
          uint64_t fraction = digits % divisor;
          for (int i = decimals - 1; i >= 0; --i) {
            out[i] = static_cast<char>('0' + fraction % 10);
            fraction /= 10;
          }
          out += decimals;
        }
        return out;
      }
    }
  }
  auto [ptr, ec] = std::to_chars(out, end, value);
  return ec == std::errc() ? ptr : nullptr;
}

}  // namespace

ParseOutcome ParseValue(std::string_view text, const Field& field,
                        SymbolTable* symbols, Slot* slot) {
  if (text.empty()) return ParseOutcome::kEmpty;
  bool ok = false;
  switch (field.type) {
    case FieldType::kI64: ok = ParseI64(text, &slot->i64); break;
    case FieldType::kF64: ok = ParseF64(text, &slot->f64); break;
    case FieldType::kBool: ok = ParseBool(text, &slot->i64); break;
    case FieldType::kTs: ok = ParseTs(text, field.unit, &slot->i64); break;
    case FieldType::kSym: {
      uint32_t id;
      if (!symbols->Intern(text, &id)) return ParseOutcome::kSymbolsFull;
      slot->i64 = id;
      ok = true;
      break;
    }
  }
  return ok ? ParseOutcome::kOk : ParseOutcome::kBadValue;
}

char* FormatValue(Slot slot, const Field& field, const SymbolTable& symbols,
                  char* out, char* end) {
  if (IsNull(slot, field.type)) return out;
  switch (field.type) {
    case FieldType::kI64: return FormatI64(slot.i64, out, end);
    case FieldType::kF64: return FormatF64(slot.f64, out, end);
    case FieldType::kBool:
      return Copy(slot.i64 != 0 ? "true" : "false", out, end);
    case FieldType::kTs:
      // Floor division, so times before the epoch keep their unit boundaries.
      {
        int64_t per = NanosPerUnit(field.unit);
        int64_t q = slot.i64 / per;
        if ((slot.i64 % per != 0) && (slot.i64 < 0)) --q;
        return FormatI64(q, out, end);
      }
    case FieldType::kSym:
      return Copy(symbols.Lookup(static_cast<uint32_t>(slot.i64)), out, end);
  }
  return nullptr;
}

}  // namespace runnel::schema
