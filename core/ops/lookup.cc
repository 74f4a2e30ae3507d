#include "core/ops/lookup.h"

#include <cstring>
#include <map>

#include "core/schema/row_hash.h"
#include "core/schema/value_text.h"

namespace runnel::ops {
namespace {

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

std::string At(const char* list, size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
}

// Checks one value as text (sym values are interned later, at plan time).
// `where` names its place for the message. Non-sym values are also
// returned in *slot, for comparing keys.
Status CheckValue(const std::string& text, const schema::Field& field, const std::string& where,
                  schema::Slot* slot) {
  slot->i64 = 0;
  if (text.empty()) return InvalidArgument(where + ": column " + Quoted(field.name) + " is empty");
  if (field.type == schema::FieldType::kSym) return Status::Ok();
  if (schema::ParseValue(text, field, nullptr, slot) != schema::ParseOutcome::kOk) {
    return InvalidArgument(where + ": " + Quoted(text) + " is not a " +
                           std::string(schema::FieldTypeName(field.type)) + " (column " +
                           Quoted(field.name) + ")");
  }
  if (field.type == schema::FieldType::kF64 && slot->f64 == 0.0) slot->f64 = 0.0;  // -0.0
  return Status::Ok();
}

}  // namespace

std::vector<std::string> SplitValues(const std::string& text) {
  std::vector<std::string> values;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string value = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                       : comma - start);
    size_t first = value.find_first_not_of(" \t");
    size_t last = value.find_last_not_of(" \t");
    values.push_back(first == std::string::npos ? "" : value.substr(first, last - first + 1));
    if (comma == std::string::npos) return values;
    start = comma + 1;
  }
}

Result<LookupSpec> ParseLookup(const std::vector<std::string>& key, const schema::Schema& fields,
                               const std::vector<std::string>& rows, OnMissing on_missing,
                               const std::string* defaults, const schema::Schema& input) {
  LookupSpec spec;
  spec.on_missing = on_missing;
  if (key.empty()) return InvalidArgument("key: names no fields");
  std::vector<schema::Field> columns;  // key columns, then fields
  for (size_t k = 0; k < key.size(); ++k) {
    int index = input.IndexOf(key[k]);
    if (index == schema::Schema::kNotFound) {
      return InvalidArgument(At("key", k) + ": unknown field " + Quoted(key[k]) +
                             " (fields: " + input.FieldNames() + ")");
    }
    for (uint32_t earlier : spec.key_fields) {
      if (earlier == static_cast<uint32_t>(index)) {
        return InvalidArgument(At("key", k) + ": field " + Quoted(key[k]) + " appears twice");
      }
    }
    spec.key_fields.push_back(static_cast<uint32_t>(index));
    columns.push_back(input.field(static_cast<uint32_t>(index)));
  }
  if (fields.size() == 0) return InvalidArgument("fields: adds no fields");
  for (uint32_t f = 0; f < fields.size(); ++f) {
    const std::string& name = fields.field(f).name;
    std::string where = At("fields", f) + ".name";
    if (name.empty()) return InvalidArgument(where + ": field name is empty");
    if (input.IndexOf(name) != schema::Schema::kNotFound) {
      return InvalidArgument(where + ": the input already has a field " + Quoted(name) +
                             "; rename one of them");
    }
    if (fields.IndexOf(name) != static_cast<int>(f)) {
      return InvalidArgument(where + ": field " + Quoted(name) + " appears twice");
    }
    columns.push_back(fields.field(f));
  }
  spec.fields = fields;
  if (rows.empty()) return InvalidArgument("rows: the table has no rows");
  std::string layout;
  for (const schema::Field& c : columns) layout += (layout.empty() ? "" : ", ") + c.name;
  std::map<std::vector<std::string>, size_t> seen;  // key values -> row
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<std::string> values = SplitValues(rows[r]);
    std::string where = At("rows", r);
    if (values.size() != columns.size()) {
      return InvalidArgument(where + ": expected " + std::to_string(columns.size()) +
                             " comma-separated values (" + layout + "), found " +
                             std::to_string(values.size()));
    }
    std::vector<std::string> key_values;
    for (size_t c = 0; c < columns.size(); ++c) {
      schema::Slot slot;
      RUNNEL_RETURN_IF_ERROR(CheckValue(values[c], columns[c], where, &slot));
      if (c < key.size()) {
        key_values.push_back(columns[c].type == schema::FieldType::kSym
                                 ? values[c]
                                 : std::to_string(slot.i64));
      }
    }
    auto [it, inserted] = seen.emplace(key_values, r);
    if (!inserted) {
      return InvalidArgument(where + ": its key is already the key of " +
                             At("rows", it->second));
    }
    spec.rows.push_back(std::move(values));
  }
  if (on_missing == OnMissing::kKeep) {
    if (defaults == nullptr) {
      return InvalidArgument("defaults: on_missing keep needs the values of " +
                             std::string(fields.FieldNames()) + " for rows without a match");
    }
    spec.defaults = SplitValues(*defaults);
    if (spec.defaults.size() != fields.size()) {
      return InvalidArgument("defaults: expected " + std::to_string(fields.size()) +
                             " comma-separated values (" + fields.FieldNames() + "), found " +
                             std::to_string(spec.defaults.size()));
    }
    for (uint32_t f = 0; f < fields.size(); ++f) {
      schema::Slot slot;
      RUNNEL_RETURN_IF_ERROR(CheckValue(spec.defaults[f], fields.field(f), "defaults", &slot));
    }
  } else if (defaults != nullptr) {
    return InvalidArgument("defaults: only used with on_missing keep");
  }
  return spec;
}

Result<std::unique_ptr<LookupOperator>> LookupOperator::Make(const schema::Schema& input,
                                                             uint32_t in_width,
                                                             const LookupSpec& spec,
                                                             schema::SymbolTable* symbols) {
  std::unique_ptr<LookupOperator> op(new LookupOperator(input, in_width, spec, symbols));
  const uint32_t keys = static_cast<uint32_t>(spec.key_fields.size());
  auto parse = [&](const std::string& text, const schema::Field& field, schema::Slot* slot) {
    switch (schema::ParseValue(text, field, symbols, slot)) {
      case schema::ParseOutcome::kOk:
        return Status::Ok();
      case schema::ParseOutcome::kSymbolsFull:
        return ResourceExhausted("the symbol table is full; raise symbols or symbol_bytes");
      default:
        return Status(StatusCode::kInternal, "lookup value " + Quoted(text) + " was not checked");
    }
  };
  std::vector<schema::Slot> row(input.size());
  for (const std::vector<std::string>& values : spec.rows) {
    for (uint32_t k = 0; k < keys; ++k) {
      RUNNEL_RETURN_IF_ERROR(
          parse(values[k], input.field(spec.key_fields[k]), &row[spec.key_fields[k]]));
    }
    op->key_fields_.Gather(row.data(), op->key_.get());
    schema::Slot* value;
    if (op->table_.FindOrInsert(op->key_.get(), schema::HashSlots(op->key_.get(), keys), 0,
                                &value) != state::KeyedTable::Outcome::kInserted) {
      return Status(StatusCode::kInternal, "lookup table key repeats or does not fit");
    }
    for (uint32_t f = 0; f < op->added_; ++f) {
      RUNNEL_RETURN_IF_ERROR(parse(values[keys + f], spec.fields.field(f), &value[f]));
    }
  }
  if (spec.on_missing == OnMissing::kKeep) {
    for (uint32_t f = 0; f < op->added_; ++f) {
      RUNNEL_RETURN_IF_ERROR(parse(spec.defaults[f], spec.fields.field(f), &op->defaults_[f]));
    }
  }
  return op;
}

state::KeyedTableOptions LookupOperator::TableOptions(const LookupSpec& spec) {
  state::KeyedTableOptions t;
  t.capacity = static_cast<uint32_t>(spec.rows.size());
  t.key_slots = static_cast<uint32_t>(spec.key_fields.size());
  t.value_slots = spec.fields.size();
  t.policy = state::OverflowPolicy::kFail;
  t.recency = false;  // read-only: nothing is evicted or expired
  return t;
}

LookupOperator::LookupOperator(const schema::Schema& input, uint32_t in_width,
                               const LookupSpec& spec, const schema::SymbolTable* symbols)
    : input_(input),
      key_fields_(input, spec.key_fields),
      table_(TableOptions(spec)),
      on_missing_(spec.on_missing),
      fields_(input.size()),
      in_width_(in_width),
      added_(spec.fields.size()),
      symbols_(symbols),
      key_(new schema::Slot[spec.key_fields.size() + 1]),
      defaults_(new schema::Slot[spec.fields.size() + 1]()) {}

Status LookupOperator::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  const uint32_t keys = key_fields_.size();
  const size_t head = sizeof(schema::Slot) * fields_;
  const size_t added = sizeof(schema::Slot) * added_;
  const size_t tail = sizeof(schema::Slot) * (in_width_ - fields_);
  Status status = Status::Ok();
  for (uint32_t r = 0; r < in.size(); ++r) {
    const schema::Slot* row = in.row(r);
    key_fields_.Gather(row, key_.get());
    const schema::Slot* values = table_.Find(key_.get(), schema::HashSlots(key_.get(), keys));
    if (values == nullptr) {
      if (on_missing_ == OnMissing::kFail) {
        status = DataError("no row of the lookup table has the key " + KeyText(row) +
                           " (lookup.on_missing is fail)");
        break;
      }
      if (on_missing_ == OnMissing::kDrop) {
        ++missing_;
        continue;
      }
      values = defaults_.get();
    }
    schema::Slot* target = out->Append();
    std::memcpy(target, row, head);
    std::memcpy(target + fields_, values, added);
    if (tail > 0) std::memcpy(target + fields_ + added_, row + fields_, tail);
  }
  dropped_.store(missing_, std::memory_order_relaxed);
  return status;
}

std::string LookupOperator::KeyText(const schema::Slot* row) const {
  std::string text;
  for (uint32_t f : key_fields_.fields()) {
    char buffer[64];
    char* end = schema::FormatValue(row[f], input_.field(f), *symbols_, buffer,
                                    buffer + sizeof(buffer));
    text += (text.empty() ? "" : ", ") + input_.field(f).name + "=" +
            (end ? std::string(buffer, end) : std::string("?"));
  }
  return text;
}

runtime::OperatorMetrics LookupOperator::metrics() const {
  runtime::OperatorMetrics m;
  m.dropped = dropped_.load(std::memory_order_relaxed);
  m.state_entries = table_.size();
  m.state_capacity = table_.capacity();
  return m;
}

}  // namespace runnel::ops
