#include "core/schema/field_type.h"

namespace runnel::schema {

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kI64: return "i64";
    case FieldType::kF64: return "f64";
    case FieldType::kBool: return "bool";
    case FieldType::kTs: return "ts";
    case FieldType::kSym: return "sym";
  }
  return "?";
}

int64_t NanosPerUnit(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kS: return 1'000'000'000;
    case TimeUnit::kMs: return 1'000'000;
    case TimeUnit::kUs: return 1'000;
    case TimeUnit::kNs: return 1;
  }
  return 1;
}

std::string_view TimeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kS: return "s";
    case TimeUnit::kMs: return "ms";
    case TimeUnit::kUs: return "us";
    case TimeUnit::kNs: return "ns";
  }
  return "?";
}

}  // namespace runnel::schema
