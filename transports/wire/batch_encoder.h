// BatchEncoder: turns rows into wire messages (docs/WIRE.md): a Batch with
// its per-batch symbol dictionary, and the Hello and Heartbeat control
// messages, each a finished Envelope in one reused FlatBufferBuilder.
//
// Everything is sized by the constructor: encoding batches of at most
// max_rows rows, Hellos and heartbeats never allocates once the builder has
// grown to the largest batch (the first few batches). The encoded bytes stay valid until the next
// Encode call. One thread at a time; `symbols` may be shared (lookups are
// lock-free) and must outlive the encoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace flatbuffers {
class FlatBufferBuilder;
}

namespace runnel::wire {

// Who sends a batch and where it is in the producer's sequence.
struct BatchHeader {
  uint64_t producer = 0;
  std::string_view producer_name;
  uint64_t epoch = 0;
  uint64_t sequence = 0;
  int64_t watermark = schema::RowBatch::kNoWatermark;
  uint64_t first_row = 0;  // exactly-once links: the first row's position
};

struct HeartbeatInfo {
  uint64_t producer = 0;
  uint64_t epoch = 0;
  uint64_t last_sequence = 0;
  int64_t watermark = schema::RowBatch::kNoWatermark;
  int64_t sent_at_ns = 0;
  bool closing = false;
  uint64_t last_row = 0;  // exactly-once links: the last row's position
};

class BatchEncoder {
 public:
  // `schema`: the rows' fields (copied). REQUIRES: max_rows > 0.
  BatchEncoder(const schema::Schema& schema, const schema::SymbolTable* symbols,
               uint32_t max_rows);
  ~BatchEncoder();

  BatchEncoder(const BatchEncoder&) = delete;
  BatchEncoder& operator=(const BatchEncoder&) = delete;

  // Encodes the first schema.size() slots of each row of `rows` (a batch
  // may carry more, e.g. its hidden watermark slot) as one Batch.
  // REQUIRES: rows.size() <= max_rows, rows.width() >= schema.size(), sym
  // slots hold ids from `symbols`.
  void EncodeBatch(const BatchHeader& header, const schema::RowBatch& rows) {
    EncodeBatch(header, rows, 0, rows.size());
  }
  // Rows first .. first + count - 1 of `rows` as one Batch (the same
  // rules, with count <= max_rows).
  void EncodeBatch(const BatchHeader& header, const schema::RowBatch& rows, uint32_t first,
                   uint32_t count);
  // The schema announcement (Hello).
  void EncodeHello(uint64_t producer, std::string_view producer_name, uint64_t epoch,
                   uint64_t next_sequence);
  void EncodeHeartbeat(const HeartbeatInfo& heartbeat);

  // The last message encoded.
  const uint8_t* data() const;
  size_t size() const;

  uint64_t fingerprint() const { return fingerprint_; }
  uint32_t max_rows() const { return max_rows_; }
  // Bytes preallocated by the constructor.
  size_t footprint_bytes() const;

 private:
  // Index of symbol `id` in this batch's dictionary, adding it if new.
  uint32_t SymbolIndex(uint32_t id);

  struct MapEntry {
    uint32_t stamp;  // == stamp_ when the entry belongs to this batch
    uint32_t id;
    uint32_t index;
  };

  schema::Schema schema_;
  const schema::SymbolTable* symbols_;
  uint32_t max_rows_;
  uint32_t width_;
  uint64_t fingerprint_;
  std::vector<uint32_t> sym_fields_;
  std::vector<MapEntry> map_;     // open addressing, power-of-two size
  uint32_t map_mask_ = 0;
  uint32_t stamp_ = 0;
  std::vector<uint32_t> distinct_;  // symbol ids in dictionary order
  std::vector<uint32_t> offsets_;   // flatbuffers::Offset values: symbols or Hello fields
  size_t initial_bytes_;
  flatbuffers::FlatBufferBuilder* builder_;
};

}  // namespace runnel::wire
