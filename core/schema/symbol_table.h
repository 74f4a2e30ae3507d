// SymbolTable: interns strings (device ids, names) once into fixed-capacity
// storage so rows carry a 4-byte id instead of text.
//
// All memory is allocated by the constructor; Intern and Lookup never
// allocate. Running out of symbols or bytes is reported (Intern returns false)
// and the caller decides the policy. Not thread-safe: Intern requires external
// synchronization; Lookup of an id another thread published to you through a
// release/acquire hand-off (a ring) is safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace runnel::schema {

class SymbolTable {
 public:
  static constexpr uint32_t kDefaultMaxSymbols = 1 << 16;
  static constexpr uint32_t kDefaultMaxBytes = 1 << 20;

  SymbolTable(uint32_t max_symbols = kDefaultMaxSymbols,
              uint32_t max_bytes = kDefaultMaxBytes);

  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Sets *id to the id of `text`, adding it if it is new. Returns false,
  // leaving the table unchanged, when the table is out of symbols or bytes.
  bool Intern(std::string_view text, uint32_t* id);

  // Sets *id and returns true if `text` is interned already.
  bool Find(std::string_view text, uint32_t* id) const;

  // REQUIRES: id was returned by Intern or Find.
  std::string_view Lookup(uint32_t id) const {
    return std::string_view(bytes_.get() + starts_[id],
                            starts_[id + 1] - starts_[id]);
  }

  uint32_t size() const { return size_; }
  uint32_t max_symbols() const { return max_symbols_; }
  uint32_t max_bytes() const { return max_bytes_; }
  // Bytes preallocated by the constructor.
  size_t footprint_bytes() const;

 private:
  static uint64_t Hash(std::string_view text);
  // The bucket holding `text`, or the empty bucket where it would go.
  uint32_t Probe(std::string_view text, uint64_t hash) const;

  uint32_t max_symbols_;
  uint32_t max_bytes_;
  uint32_t bucket_mask_;
  uint32_t size_ = 0;
  std::unique_ptr<uint32_t[]> buckets_;  // id + 1, or 0 when empty
  std::unique_ptr<uint32_t[]> starts_;   // starts_[id]..starts_[id+1] in bytes_
  std::unique_ptr<char[]> bytes_;
};

}  // namespace runnel::schema
