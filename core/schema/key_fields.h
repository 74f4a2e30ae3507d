// KeyFields: the fields a keyed stream is partitioned by, and how a row's
// key is gathered from them into consecutive slots for hashing and state
// lookups. Equal keys must give equal slots: an f64 -0.0 becomes +0.0 (they
// compare equal, so they are one key). Built at plan time; Gather never
// allocates.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/schema/row.h"
#include "core/schema/schema.h"

namespace runnel::schema {

class KeyFields {
 public:
  KeyFields() = default;
  KeyFields(const Schema& schema, std::vector<uint32_t> fields) : fields_(std::move(fields)) {
    for (uint32_t f : fields_) is_f64_.push_back(schema.field(f).type == FieldType::kF64);
  }

  uint32_t size() const { return static_cast<uint32_t>(fields_.size()); }
  const std::vector<uint32_t>& fields() const { return fields_; }

  // Writes the key of `row` to key[0..size()).
  void Gather(const Slot* row, Slot* key) const {
    for (size_t k = 0; k < fields_.size(); ++k) {
      key[k] = row[fields_[k]];
      if (is_f64_[k] && key[k].f64 == 0.0) key[k].f64 = 0.0;  // -0.0 is 0.0
    }
  }

 private:
  std::vector<uint32_t> fields_;
  std::vector<bool> is_f64_;
};

}  // namespace runnel::schema
