#include "transports/jsonl/jsonl_decoder.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/schema/null.h"

namespace runnel::jsonl {

using schema::FieldType;
using Kind = JsonObjectScanner::Kind;
using Number = JsonObjectScanner::Number;

JsonlDecoder::JsonlDecoder(schema::Schema schema, schema::SymbolTable* symbols,
                           size_t max_line_bytes, int event_time_field)
    : schema_(std::move(schema)),
      symbols_(symbols),
      max_line_bytes_(max_line_bytes),
      event_time_field_(event_time_field),
      scanner_(max_line_bytes),
      seen_(schema_.size()),
      names_(schema_.size()) {
  for (uint32_t f = 0; f < schema_.size(); ++f) names_[f] = schema_.field(f).name;
}

namespace {

// A short name for what a field of `type` expects.
const char* Expected(FieldType type) {
  switch (type) {
    case FieldType::kI64: return "expected an integer";
    case FieldType::kF64: return "expected a number";
    case FieldType::kBool: return "expected true or false";
    case FieldType::kTs: return "expected an integer timestamp";
    case FieldType::kSym: return "expected a string";
  }
  return "unexpected value";
}

// Keys are short: a plain loop beats a call to memcmp (the hot spot).
inline bool SameKey(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

JsonlDecoder::Outcome JsonlDecoder::Decode(std::string_view line, schema::Slot* row) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_line_bytes_) {
    snprintf(error_, sizeof(error_), "line longer than %zu bytes", max_line_bytes_);
    return Outcome::kBadLine;
  }
  switch (scanner_.Begin(line)) {
    case JsonObjectScanner::Start::kObject:
      break;
    case JsonObjectScanner::Start::kNotObject:
      snprintf(error_, sizeof(error_), "expected a JSON object");
      return Outcome::kBadLine;
    case JsonObjectScanner::Start::kMalformed:
      return Malformed();
  }
  std::fill(seen_.begin(), seen_.end(), 0);
  next_field_ = 0;
  std::string_view key;
  while (scanner_.NextKey(&key)) {
    // Writers usually emit keys in one order: try the field after the last
    // match first, then the others.
    uint32_t f = next_field_ < schema_.size() ? next_field_ : 0;
    if (names_.empty() || !SameKey(names_[f], key)) {
      f = 0;
      while (f < schema_.size() && !SameKey(names_[f], key)) ++f;
      if (f == schema_.size()) {  // an unknown key: its value is checked, not kept
        if (!scanner_.SkipValue()) return Malformed();
        continue;
      }
    }
    next_field_ = f + 1;
    if (seen_[f]) {
      snprintf(error_, sizeof(error_), "field '%s' appears twice", schema_.field(f).name.c_str());
      return Outcome::kBadLine;
    }
    seen_[f] = 1;
    Outcome outcome = DecodeValue(f, &row[f]);
    if (outcome != Outcome::kOk) return outcome;
  }
  // The object must be closed, with nothing but whitespace after it.
  if (!scanner_.Finish()) return Malformed();
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    if (seen_[f]) continue;
    if (!Nullable(f)) {
      snprintf(error_, sizeof(error_), "field '%s' is missing", schema_.field(f).name.c_str());
      return Outcome::kBadLine;
    }
    row[f] = schema::NullSlot(schema_.field(f).type);
  }
  // A ts of INT64_MIN (in ns) is the null, which the event time never is.
  if (event_time_field_ >= 0 && row[event_time_field_].i64 == schema::kNullInt) {
    snprintf(error_, sizeof(error_), "field '%s': a row needs its event time (this is the null)",
             schema_.field(static_cast<uint32_t>(event_time_field_)).name.c_str());
    return Outcome::kBadLine;
  }
  return Outcome::kOk;
}

JsonlDecoder::Outcome JsonlDecoder::DecodeValue(uint32_t f, schema::Slot* slot) {
  const schema::Field& target = schema_.field(f);
  const Kind kind = scanner_.Peek();
  if (kind == Kind::kNull && Nullable(f)) {
    if (!scanner_.ReadLiteral()) return Malformed(f);
    *slot = schema::NullSlot(target.type);
    return Outcome::kOk;
  }
  Number number = Number::kOk;
  switch (target.type) {
    case FieldType::kI64:
      if (kind != Kind::kNumber) return OtherKind(f);
      number = scanner_.ReadInt64(&slot->i64);
      break;
    case FieldType::kF64:
      if (kind != Kind::kNumber) return OtherKind(f);
      number = scanner_.ReadDouble(&slot->f64);
      break;
    case FieldType::kBool:
      if (kind != Kind::kTrue && kind != Kind::kFalse) return OtherKind(f);
      if (!scanner_.ReadLiteral()) return Malformed(f);
      slot->i64 = kind == Kind::kTrue ? 1 : 0;
      return Outcome::kOk;
    case FieldType::kTs: {
      if (kind != Kind::kNumber) return OtherKind(f);
      int64_t units = 0;
      number = scanner_.ReadInt64(&units);
      if (number == Number::kOk &&
          __builtin_mul_overflow(units, schema::NanosPerUnit(target.unit), &slot->i64)) {
        snprintf(error_, sizeof(error_), "field '%s': timestamp out of range",
                 target.name.c_str());
        return Outcome::kBadLine;
      }
      break;
    }
    case FieldType::kSym: {
      if (kind != Kind::kString) return OtherKind(f);
      std::string_view text;
      if (!scanner_.ReadString(&text)) return Malformed(f);
      uint32_t id = 0;
      if (!symbols_->Intern(text, &id)) {
        snprintf(error_, sizeof(error_), "field '%s': symbol table is full (%u symbols, %u bytes)",
                 target.name.c_str(), symbols_->max_symbols(), symbols_->max_bytes());
        return Outcome::kSymbolsFull;
      }
      slot->i64 = id;
      return Outcome::kOk;
    }
  }
  switch (number) {
    case Number::kOk: return Outcome::kOk;
    case Number::kNotInteger: return WrongType(f);
    case Number::kOutOfRange: return WrongType(f, true);
    case Number::kMalformed: return Malformed(f);
  }
  return Outcome::kOk;
}

JsonlDecoder::Outcome JsonlDecoder::Malformed(int f) {
  const char* prefix = f < 0 ? "" : "field '";
  const char* name = f < 0 ? "" : schema_.field(f).name.c_str();
  snprintf(error_, sizeof(error_), "%s%s%smalformed JSON (%s at column %zu)", prefix, name,
           f < 0 ? "" : "': ", scanner_.error(), scanner_.error_column());
  return Outcome::kBadLine;
}

JsonlDecoder::Outcome JsonlDecoder::OtherKind(uint32_t f) {
  if (!scanner_.SkipValue()) return Malformed(f);
  return WrongType(f);
}

JsonlDecoder::Outcome JsonlDecoder::WrongType(uint32_t f, bool out_of_range) {
  snprintf(error_, sizeof(error_), "field '%s': %s%s", schema_.field(f).name.c_str(),
           Expected(schema_.field(f).type), out_of_range ? " (out of range)" : "");
  return Outcome::kBadLine;
}

}  // namespace runnel::jsonl
