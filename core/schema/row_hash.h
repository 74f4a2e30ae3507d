// Hashing of keys: the one hash used both to route rows to parallel
// instances (its high 32 bits) and to place keys in state tables (its low
// bits). Slots are hashed as raw 64-bit values, so equal keys hash equally
// (callers normalize -0.0 to 0.0 if they key by an f64 field). The method is
// xxHash64's short-input path over 8-byte lanes, whose final avalanche mixes
// every input bit into the low and the high bits alike.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/schema/row.h"

namespace runnel::schema {
namespace row_hash_internal {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ull;

constexpr uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t Start(uint32_t slots) { return kPrime5 + uint64_t{slots} * 8; }

inline uint64_t AddLane(uint64_t h, Slot slot) {
  uint64_t lane;
  std::memcpy(&lane, &slot, sizeof(lane));
  // -0.0 (the bits of INT64_MIN) hashes as 0, so an f64 key routes the same
  // way whichever zero it holds; an i64 INT64_MIN only shares a hash with 0.
  if (lane == 0x8000000000000000ull) lane = 0;
  h ^= Rotl(lane * kPrime2, 31) * kPrime1;
  return Rotl(h, 27) * kPrime1 + kPrime4;
}

inline uint64_t Finish(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

}  // namespace row_hash_internal

// Hash of `count` consecutive slots (a key already gathered).
inline uint64_t HashSlots(const Slot* key, uint32_t count) {
  uint64_t h = row_hash_internal::Start(count);
  for (uint32_t i = 0; i < count; ++i) h = row_hash_internal::AddLane(h, key[i]);
  return row_hash_internal::Finish(h);
}

// Hash of the fields `fields[0..count)` of `row`: equal to HashSlots of
// those fields gathered in that order.
inline uint64_t HashFields(const Slot* row, const uint32_t* fields, uint32_t count) {
  uint64_t h = row_hash_internal::Start(count);
  for (uint32_t i = 0; i < count; ++i) h = row_hash_internal::AddLane(h, row[fields[i]]);
  return row_hash_internal::Finish(h);
}

// The parallel instance (of `instances`) a key hashed to `hash` belongs
// to: the partitioner's rule, which rescaling keyed state follows too. It
// uses the high 32 bits, so the keys one instance gets still spread over
// its table, which uses the low bits.
inline uint32_t InstanceOf(uint64_t hash, uint32_t instances) {
  return static_cast<uint32_t>(((hash >> 32) * instances) >> 32);
}

}  // namespace runnel::schema
