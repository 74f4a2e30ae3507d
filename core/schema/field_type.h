// The value types a Runnel field can hold, and the units a timestamp can be
// written in at the edges (files, sockets). Inside Runnel every `ts` is
// nanoseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <string_view>

namespace runnel::schema {

enum class FieldType : uint8_t {
  kI64,   // signed 64-bit integer
  kF64,   // IEEE double
  kBool,  // 0 or 1
  kTs,    // event or processing time, ns since the epoch
  kSym,   // an interned string: an id into the SymbolTable
};

enum class TimeUnit : uint8_t { kS, kMs, kUs, kNs };

// The name used in graph files and messages: "i64", "f64", "bool", "ts", "sym".
std::string_view FieldTypeName(FieldType type);

// Nanoseconds in one `unit`.
int64_t NanosPerUnit(TimeUnit unit);

std::string_view TimeUnitName(TimeUnit unit);

// True for types compared and computed as numbers (i64, f64, ts).
inline bool IsNumeric(FieldType type) {
  return type == FieldType::kI64 || type == FieldType::kF64 ||
         type == FieldType::kTs;
}

}  // namespace runnel::schema
