#include "core/schema/schema.h"

namespace runnel::schema {

int Schema::IndexOf(std::string_view name) const {
  for (uint32_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return kNotFound;
}

std::string Schema::FieldNames() const {
  std::string names;
  for (const Field& f : fields_) {
    if (!names.empty()) names += ", ";
    names += f.name;
  }
  return names;
}

}  // namespace runnel::schema
