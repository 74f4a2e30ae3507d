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
    case FieldType::kF64: {
      auto [ptr, ec] = std::to_chars(out, end, slot.f64);
      return ec == std::errc() ? ptr : nullptr;
    }
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
