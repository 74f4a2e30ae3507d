#include "transports/wire/reading_decoder.h"

#include <cmath>
#include <cstdio>
#include <string_view>

#include "transports/wire/wire_generated.h"

namespace runnel::wire {
namespace {

constexpr int64_t kNanosPerMs = 1000000;
// 2^63 as a double: finite doubles below it (and at least -2^63) fit an i64.
constexpr double kTwoTo63 = 9223372036854775808.0;

bool Named(const flatbuffers::String* name, const std::string& field) {
  return std::string_view(name->data(), name->size()) == field;
}

// The only value of `values` named `field`: 0 found (*value unset), 1, or 2
// (given twice).
template <typename Value>
int Find(const flatbuffers::Vector<flatbuffers::Offset<Value>>* values, const std::string& field,
         const Value** value) {
  int found = 0;
  if (values == nullptr) return 0;
  for (const Value* v : *values) {
    if (Named(v->name(), field)) {
      if (++found > 1) return found;
      *value = v;
    }
  }
  return found;
}

}  // namespace

ReadingDecoder::ReadingDecoder(schema::Schema schema, schema::SymbolTable* symbols)
    : schema_(std::move(schema)), symbols_(symbols) {}

ReadingDecoder::Outcome ReadingDecoder::Decode(const DecodedMessage& message,
                                               schema::Slot* row) {
  const fb::Reading* reading = message.reading;
  for (uint32_t f = 0; f < schema_.size(); ++f) {
    const schema::Field& field = schema_.field(f);
    const char* name = field.name.c_str();
    if (field.type == schema::FieldType::kSym) {
      const fb::TextValue* text = nullptr;
      int found = Find(reading->texts(), field.name, &text);
      if (found != 1) {
        snprintf(error_, sizeof(error_), "field '%s': %s", name,
                 found == 0 ? "missing (a text value of that name)" : "given twice");
        return Outcome::kBadReading;
      }
      uint32_t id;
      if (!symbols_->Intern(std::string_view(text->value()->data(), text->value()->size()),
                            &id)) {
        snprintf(error_, sizeof(error_), "field '%s': symbol table is full (%u symbols)", name,
                 symbols_->max_symbols());
        return Outcome::kSymbolsFull;
      }
      row[f].i64 = id;
      continue;
    }
    const fb::NumberValue* number = nullptr;
    int found = Find(reading->numbers(), field.name, &number);
    if (found > 1) {
      snprintf(error_, sizeof(error_), "field '%s': given twice", name);
      return Outcome::kBadReading;
    }
    if (found == 0 && field.type == schema::FieldType::kTs) {
      if (reading->ts_ms() > INT64_MAX / kNanosPerMs ||
          reading->ts_ms() < INT64_MIN / kNanosPerMs) {
        snprintf(error_, sizeof(error_), "ts_ms %lld is out of range",
                 static_cast<long long>(reading->ts_ms()));
        return Outcome::kBadReading;
      }
      row[f].i64 = reading->ts_ms() * kNanosPerMs;
      continue;
    }
    if (found == 0) {
      snprintf(error_, sizeof(error_), "field '%s': missing (a number of that name)", name);
      return Outcome::kBadReading;
    }
    const double value = number->value();
    switch (field.type) {
      case schema::FieldType::kF64:
        row[f].f64 = value;
        break;
      case schema::FieldType::kI64:
        if (!(value >= -kTwoTo63 && value < kTwoTo63) || value != std::trunc(value)) {
          snprintf(error_, sizeof(error_), "field '%s': %g is not a 64-bit integer", name,
                   value);
          return Outcome::kBadReading;
        }
        row[f].i64 = static_cast<int64_t>(value);
        break;
      case schema::FieldType::kBool:
        if (value != 0 && value != 1) {
          snprintf(error_, sizeof(error_), "field '%s': %g is not 0 or 1", name, value);
          return Outcome::kBadReading;
        }
        row[f].i64 = value == 1;
        break;
      case schema::FieldType::kTs: {
        const double ns = std::round(value * kNanosPerMs);
        if (!(ns >= -kTwoTo63 && ns < kTwoTo63)) {
          snprintf(error_, sizeof(error_), "field '%s': %g ms is out of range", name, value);
          return Outcome::kBadReading;
        }
        row[f].i64 = static_cast<int64_t>(ns);
        break;
      }
      case schema::FieldType::kSym:
        break;  // above
    }
  }
  return Outcome::kOk;
}

}  // namespace runnel::wire
