#include "transports/jsonl/jsonl_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/schema/null.h"

namespace runnel::jsonl {

using schema::FieldType;

struct JsonlDecoder::Impl {
  simdjson::ondemand::parser parser;
  std::unique_ptr<char[]> buffer;  // max_line_bytes + SIMDJSON_PADDING
};

JsonlDecoder::JsonlDecoder(schema::Schema schema, schema::SymbolTable* symbols,
                           size_t max_line_bytes, int event_time_field)
    : schema_(std::move(schema)),
      symbols_(symbols),
      max_line_bytes_(max_line_bytes),
      event_time_field_(event_time_field),
      impl_(std::make_unique<Impl>()),
      seen_(schema_.size()),
      names_(schema_.size()) {
  for (uint32_t f = 0; f < schema_.size(); ++f) names_[f] = schema_.field(f).name;
  impl_->buffer.reset(new char[max_line_bytes_ + simdjson::SIMDJSON_PADDING]());
  // Reserve the parser's buffers now, so iterate never grows them. A failure
  // here (out of memory) shows up as an allocation error on every line.
  simdjson::error_code reserved = impl_->parser.allocate(max_line_bytes_);
  (void)reserved;
}

JsonlDecoder::~JsonlDecoder() = default;

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
  char* buffer = impl_->buffer.get();
  std::memcpy(buffer, line.data(), line.size());
  std::memset(buffer + line.size(), 0, simdjson::SIMDJSON_PADDING);

  simdjson::ondemand::document doc;
  simdjson::error_code error =
      impl_->parser.iterate(buffer, line.size(), line.size() + simdjson::SIMDJSON_PADDING)
          .get(doc);
  simdjson::ondemand::object object;
  if (!error) error = doc.get_object().get(object);
  if (error) {
    if (error == simdjson::INCORRECT_TYPE) {
      snprintf(error_, sizeof(error_), "expected a JSON object");
    } else {
      snprintf(error_, sizeof(error_), "malformed JSON (%s)", simdjson::error_message(error));
    }
    return Outcome::kBadLine;
  }
  std::fill(seen_.begin(), seen_.end(), 0);
  next_field_ = 0;
  for (auto member : object) {
    simdjson::ondemand::field field;
    std::string_view key;
    if ((error = std::move(member).get(field)) || (error = field.unescaped_key().get(key))) {
      snprintf(error_, sizeof(error_), "malformed JSON (%s)", simdjson::error_message(error));
      return Outcome::kBadLine;
    }
    // Writers usually emit keys in one order: try the field after the last
    // match first, then the others.
    if (names_.empty()) continue;
    uint32_t f = next_field_ < schema_.size() ? next_field_ : 0;
    if (!SameKey(names_[f], key)) {
      f = 0;
      while (f < schema_.size() && !SameKey(names_[f], key)) ++f;
      if (f == schema_.size()) continue;  // unknown keys: the value is skipped
    }
    next_field_ = f + 1;
    const schema::Field& target = schema_.field(f);
    if (seen_[f]) {
      snprintf(error_, sizeof(error_), "field '%s' appears twice", target.name.c_str());
      return Outcome::kBadLine;
    }
    seen_[f] = 1;
    simdjson::ondemand::value value = field.value();
    schema::Slot* slot = &row[f];
    bool is_null = false;
    if (Nullable(f) && !(error = value.is_null().get(is_null)) && is_null) {
      *slot = schema::NullSlot(target.type);
      continue;
    }
    if (error) {
      snprintf(error_, sizeof(error_), "field '%s': malformed JSON (%s)", target.name.c_str(),
               simdjson::error_message(error));
      return Outcome::kBadLine;
    }
    switch (target.type) {
      case FieldType::kI64:
        error = value.get_int64().get(slot->i64);
        break;
      case FieldType::kF64:
        error = value.get_double().get(slot->f64);
        break;
      case FieldType::kBool: {
        bool b = false;
        error = value.get_bool().get(b);
        slot->i64 = b ? 1 : 0;
        break;
      }
      case FieldType::kTs: {
        int64_t units = 0;
        error = value.get_int64().get(units);
        if (!error &&
            __builtin_mul_overflow(units, schema::NanosPerUnit(target.unit), &slot->i64)) {
          snprintf(error_, sizeof(error_), "field '%s': timestamp out of range",
                   target.name.c_str());
          return Outcome::kBadLine;
        }
        break;
      }
      case FieldType::kSym: {
        std::string_view text;
        error = value.get_string().get(text);
        if (error) break;
        uint32_t id = 0;
        if (!symbols_->Intern(text, &id)) {
          snprintf(error_, sizeof(error_),
                   "field '%s': symbol table is full (%u symbols, %u bytes)",
                   target.name.c_str(), symbols_->max_symbols(), symbols_->max_bytes());
          return Outcome::kSymbolsFull;
        }
        slot->i64 = id;
        break;
      }
    }
    if (error) {
      if (error == simdjson::INCORRECT_TYPE || error == simdjson::NUMBER_OUT_OF_RANGE ||
          error == simdjson::NUMBER_ERROR) {
        snprintf(error_, sizeof(error_), "field '%s': %s%s", target.name.c_str(),
                 Expected(target.type),
                 error == simdjson::NUMBER_OUT_OF_RANGE ? " (out of range)" : "");
      } else {
        snprintf(error_, sizeof(error_), "field '%s': malformed JSON (%s)",
                 target.name.c_str(), simdjson::error_message(error));
      }
      return Outcome::kBadLine;
    }
  }
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    if (seen_[f]) continue;
    if (!Nullable(f)) {
      snprintf(error_, sizeof(error_), "field '%s' is missing", schema_.field(f).name.c_str());
      return Outcome::kBadLine;
    }
    row[f] = schema::NullSlot(schema_.field(f).type);
  }
  // Anything after the object (a second object, stray text) is malformed:
  // the iterator must have reached the end of the line.
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) {
    snprintf(error_, sizeof(error_), "malformed JSON (text after the object)");
    return Outcome::kBadLine;
  }
  return Outcome::kOk;
}

}  // namespace runnel::jsonl
