// Shared fixtures of the dedupe, debounce and lookup tests: a readings
// schema (device sym, ts, temp f64) whose rows carry a hidden watermark
// slot, and helpers to build batches and read results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace row_ops_testing {

using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

constexpr uint32_t kDevice = 0;
constexpr uint32_t kTs = 1;
constexpr uint32_t kTemp = 2;
constexpr uint32_t kWatermark = 3;  // hidden, after the fields
constexpr uint32_t kWidth = 4;
constexpr int64_t kMs = 1000000;  // ns

inline Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs}});
}

struct Reading {
  std::string device;
  int64_t ts_ms;
  double temp;
};

// Appends `readings` to `batch` (kWidth slots), device names interned into
// `symbols`; each row's watermark slot is its ts - 1 ns.
inline void Fill(const std::vector<Reading>& readings, SymbolTable* symbols, RowBatch* batch) {
  for (const Reading& r : readings) {
    Slot* row = batch->Append();
    uint32_t id = 0;
    symbols->Intern(r.device, &id);
    row[kDevice].i64 = id;
    row[kTs].i64 = r.ts_ms * kMs;
    row[kTemp].f64 = r.temp;
    row[kWatermark].i64 = r.ts_ms * kMs - 1;
  }
}

// "device@ts_ms" per row of `batch`, for comparing with expectations.
inline std::vector<std::string> Keys(const RowBatch& batch, const SymbolTable& symbols) {
  std::vector<std::string> keys;
  for (uint32_t r = 0; r < batch.size(); ++r) {
    const Slot* row = batch.row(r);
    keys.push_back(std::string(symbols.Lookup(static_cast<uint32_t>(row[kDevice].i64))) + "@" +
                   std::to_string(row[kTs].i64 / kMs));
  }
  return keys;
}

inline std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

}  // namespace row_ops_testing
