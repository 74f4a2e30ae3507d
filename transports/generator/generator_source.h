// GeneratorSource: makes rows for load tests, benchmarks and demos, with no
// input file. Row i has a key k drawn pseudo-randomly from `keys` keys;
// sym fields get "key-k", i64 fields k, f64 fields a pseudo-random value in
// [0, 100), bool fields a random bit, ts fields start_ms + i * interval_ms.
// Deterministic for a given seed. With a rate, paces itself to that many
// rows per second; otherwise it is as fast as the graph consumes.
// Guarantee: replayable (the same seed gives the same rows): SavePosition
// records the rows generated so far and the random state, and a source
// restored from it generates the rows that would have come next.
#pragma once

#include <cstdint>
#include <memory>

#include "core/common/byte_count.h"
#include "core/common/clock.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace runnel::generator {

struct GeneratorOptions {
  uint64_t rows = 1000000;
  uint32_t keys = 1000;
  uint64_t seed = 1;
  int64_t start_ms = 1700000000000;
  uint32_t interval_ms = 1;
  uint32_t rate = 0;  // rows per second; 0: unpaced
};

class GeneratorSource : public runtime::Source {
 public:
  // `symbols` and `clock` must outlive the source.
  GeneratorSource(const GeneratorOptions& options, schema::Schema schema,
                  schema::SymbolTable* symbols, const Clock* clock);

  // Bytes a source of `keys` keys allocates: a symbol id per key. 64 bits on
  // every target (core/common/byte_count.h).
  static uint64_t FootprintBytes(uint64_t keys) {
    return SaturatingMul(sizeof(int64_t), keys > 0 ? keys : 1);
  }
  uint64_t footprint_bytes() const override { return FootprintBytes(options_.keys); }

  // Interns the key names (when the schema has sym fields).
  Status Open() override;
  Status Read(schema::RowBatch* out, bool* done) override;
  // Ends the rows at what has been generated.
  bool Stop() override {
    options_.rows = emitted_;
    return true;
  }

  bool replayable() const override { return true; }
  // One record, key "position", value 16 bytes: u64 rows generated, u64
  // random state (little-endian).
  bool SavePosition(runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override;

 private:
  uint64_t NextRandom();

  GeneratorOptions options_;
  schema::Schema schema_;
  schema::SymbolTable* symbols_;
  const Clock* clock_;
  std::unique_ptr<int64_t[]> key_symbols_;  // symbol id of "key-k"
  uint64_t state_;
  uint64_t emitted_ = 0;
  uint64_t emitted_at_open_ = 0;  // a restored count: the rate starts from it
  int64_t started_ms_ = 0;
};

}  // namespace runnel::generator
