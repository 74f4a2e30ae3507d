// Lookup: enriches rows from a small static table written in the graph
// file — key fields of the row → extra fields appended to it (a device's
// site, room and calibration offset).
//
// ParseLookup checks the table against the input schema when the graph is
// checked (columns, types, duplicate keys); LookupOperator::Make turns its
// text into slots (interning sym values) in a KeyedTable at plan time. The
// table is read-only afterwards, so instances need no key_by and may run in
// parallel. A row without a match is dropped (counted), kept with the
// defaults, or stops the job, as `on_missing` says.
//
// Output rows: the input's fields, the table's fields, then the input's
// hidden slots (the watermark), so event time flows on. Process never
// allocates. One thread per instance.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/runtime/operator.h"
#include "core/schema/key_fields.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "core/state/keyed_table.h"

namespace runnel::ops {

enum class OnMissing { kDrop, kKeep, kFail };

struct LookupSpec {
  std::vector<uint32_t> key_fields;  // input indices, in the table's order
  schema::Schema fields;             // the columns added
  // Per table row: its values as text, key columns first.
  std::vector<std::vector<std::string>> rows;
  OnMissing on_missing = OnMissing::kDrop;
  std::vector<std::string> defaults;  // kKeep: one per field
};

// Splits "a, b ,c" at commas into trimmed values.
std::vector<std::string> SplitValues(const std::string& text);

// Checks a lookup against `input`. On failure the message starts with the
// failing part in brackets or a field name: "rows[2]: ...", "key[0]: ...",
// "fields[1].name: ...", "defaults: ...".
Result<LookupSpec> ParseLookup(const std::vector<std::string>& key,
                               const schema::Schema& fields,
                               const std::vector<std::string>& rows, OnMissing on_missing,
                               const std::string* defaults, const schema::Schema& input);

class LookupOperator : public runtime::Operator {
 public:
  // `spec` came from ParseLookup against `input`, whose rows are `in_width`
  // slots. Interns sym values into `symbols` (kept to name a missing key).
  static Result<std::unique_ptr<LookupOperator>> Make(const schema::Schema& input,
                                                      uint32_t in_width, const LookupSpec& spec,
                                                      schema::SymbolTable* symbols);

  // The table an instance builds for `spec`, and the bytes it allocates
  // (footprint_bytes()), computed without allocating.
  static state::KeyedTableOptions TableOptions(const LookupSpec& spec);
  static uint64_t FootprintBytes(const LookupSpec& spec) {
    return state::KeyedTable::FootprintBytes(TableOptions(spec));
  }

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;

  // Nothing to checkpoint: the table comes from the graph file.

  Checkpointing checkpointing() const override { return Checkpointing::kStateless; }
  runtime::OperatorMetrics metrics() const override;
  uint64_t footprint_bytes() const override { return table_.footprint_bytes(); }

 private:
  LookupOperator(const schema::Schema& input, uint32_t in_width, const LookupSpec& spec,
                 const schema::SymbolTable* symbols);
  // "device=dev-9": the key of `row`, for the on_missing fail message.
  std::string KeyText(const schema::Slot* row) const;

  schema::Schema input_;
  schema::KeyFields key_fields_;
  state::KeyedTable table_;
  OnMissing on_missing_;
  uint32_t fields_;     // schema fields of the input
  uint32_t in_width_;   // with hidden slots
  uint32_t added_;      // fields the table adds
  const schema::SymbolTable* symbols_;
  std::unique_ptr<schema::Slot[]> key_;       // the current row's key
  std::unique_ptr<schema::Slot[]> defaults_;  // kKeep
  uint64_t missing_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace runnel::ops
