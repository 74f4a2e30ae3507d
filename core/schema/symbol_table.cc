#include "core/schema/symbol_table.h"

#include <cstring>

namespace runnel::schema {
namespace {

uint32_t BucketCountFor(uint32_t max_symbols) {
  // At most half full, so probes stay short.
  uint32_t buckets = 16;
  while (buckets < 2 * static_cast<uint64_t>(max_symbols)) buckets *= 2;
  return buckets;
}

}  // namespace

SymbolTable::SymbolTable(uint32_t max_symbols, uint32_t max_bytes)
    : max_symbols_(max_symbols),
      max_bytes_(max_bytes),
      bucket_mask_(BucketCountFor(max_symbols) - 1),
      buckets_(new uint32_t[bucket_mask_ + 1]()),
      starts_(new uint32_t[max_symbols + 1]()),
      bytes_(new char[max_bytes > 0 ? max_bytes : 1]) {}

uint64_t SymbolTable::Hash(std::string_view text) {
  // FNV-1a: short keys, good spread, no tables.
  uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

uint32_t SymbolTable::Probe(std::string_view text, uint64_t hash) const {
  uint32_t bucket = static_cast<uint32_t>(hash) & bucket_mask_;
  while (buckets_[bucket] != 0 && Lookup(buckets_[bucket] - 1) != text) {
    bucket = (bucket + 1) & bucket_mask_;
  }
  return bucket;
}

bool SymbolTable::Find(std::string_view text, uint32_t* id) const {
  uint32_t bucket = Probe(text, Hash(text));
  if (buckets_[bucket] == 0) return false;
  *id = buckets_[bucket] - 1;
  return true;
}

bool SymbolTable::Intern(std::string_view text, uint32_t* id) {
  uint32_t bucket = Probe(text, Hash(text));
  if (buckets_[bucket] != 0) {
    *id = buckets_[bucket] - 1;
    return true;
  }
  uint32_t start = starts_[size_];
  if (size_ == max_symbols_ || text.size() > max_bytes_ - start) return false;
  std::memcpy(bytes_.get() + start, text.data(), text.size());
  starts_[size_ + 1] = start + static_cast<uint32_t>(text.size());
  *id = size_++;
  buckets_[bucket] = *id + 1;
  return true;
}

size_t SymbolTable::footprint_bytes() const {
  return sizeof(uint32_t) * (bucket_mask_ + 1) +
         sizeof(uint32_t) * (max_symbols_ + 1) + max_bytes_;
}

}  // namespace runnel::schema
