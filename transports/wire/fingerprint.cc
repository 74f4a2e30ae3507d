#include "transports/wire/fingerprint.h"

#include <string_view>

#include "core/schema/field_type.h"

namespace runnel::wire {
namespace {

constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kPrime = 0x100000001b3ull;

uint64_t Mix(uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= kPrime;
  }
  return hash;
}

}  // namespace

uint64_t SchemaFingerprint(const schema::Schema& schema) {
  uint64_t hash = kOffsetBasis;
  for (const schema::Field& field : schema.fields()) {
    hash = Mix(hash, field.name);
    hash = Mix(hash, ":");
    hash = Mix(hash, schema::FieldTypeName(field.type));
    hash = Mix(hash, ";");
  }
  return hash;
}

}  // namespace runnel::wire
