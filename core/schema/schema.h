// Schema: the ordered, typed fields of the rows on one stream.
//
// Built at plan time (it allocates); read-only afterwards, so any number of
// threads may read it. Operators resolve field names to indices once, at plan
// time, and address slots by index at run time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema/field_type.h"

namespace runnel::schema {

struct Field {
  std::string name;
  FieldType type = FieldType::kI64;
  TimeUnit unit = TimeUnit::kMs;  // how a `ts` field is written outside Runnel
};

class Schema {
 public:
  static constexpr int kNotFound = -1;

  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  void Add(Field field) { fields_.push_back(std::move(field)); }

  uint32_t size() const { return static_cast<uint32_t>(fields_.size()); }
  const Field& field(uint32_t index) const { return fields_[index]; }
  const std::vector<Field>& fields() const { return fields_; }

  // The index of the field called `name`, or kNotFound.
  int IndexOf(std::string_view name) const;

  // "device, ts, temp" — for error messages that list what exists.
  std::string FieldNames() const;

 private:
  std::vector<Field> fields_;
};

}  // namespace runnel::schema
