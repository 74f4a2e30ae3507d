// FrameDecoder: checks one received wire message (frame 2 of docs/WIRE.md)
// and turns a Batch into rows of the local schema.
//
// Decode runs flatbuffers::Verifier before reading any field, then the
// checks of docs/WIRE.md ("Bad frames"): version, fingerprint, width, slot
// count, symbol indices, bool values. A rejected message returns a
// DataError naming what is wrong and leaves no trace; a Batch that passes has
// its symbols interned into the local SymbolTable, and CopyRows then copies
// its rows out, mapping symbol indices to local ids.
//
// No allocation after construction: the symbol map is sized for
// max_symbols per batch (more is a rejection). One thread at a time; the
// decoded view points into the message, which must stay alive and unchanged
// until the rows are copied. `symbols` must outlive the decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace runnel::wire {
namespace fb {
struct Reading;  // wire_generated.h
}

enum class MessageKind { kBatch, kHello, kHeartbeat, kAck, kReplayRequest, kReading };

// The view of a decoded message. For kBatch, `slots` points into the
// message (row_count x width little-endian words).
struct DecodedMessage {
  MessageKind kind = MessageKind::kBatch;
  uint64_t producer = 0;
  uint64_t epoch = 0;
  // Batch: its sequence; Heartbeat: the last sent; Hello: the next.
  uint64_t sequence = 0;
  int64_t watermark = schema::RowBatch::kNoWatermark;
  uint64_t fingerprint = 0;  // Batch and Hello
  bool closing = false;      // Heartbeat
  // Exactly-once links (0 on others): Batch its first row's position,
  // Heartbeat the last row's.
  uint64_t row = 0;
  uint32_t row_count = 0;
  const uint8_t* slots = nullptr;
  const fb::Reading* reading = nullptr;  // Reading: the verified table (ReadingDecoder)
};

class FrameDecoder {
 public:
  static constexpr size_t kDefaultMaxMessageBytes = 16u << 20;
  static constexpr uint32_t kDefaultMaxSymbols = 65536;

  FrameDecoder(const schema::Schema& schema, schema::SymbolTable* symbols,
               size_t max_message_bytes = kDefaultMaxMessageBytes,
               uint32_t max_symbols = kDefaultMaxSymbols);

  // Checks `data` and fills *message. Non-OK: the message must be dropped;
  // the status (DataError, or ResourceExhausted when the local symbol table
  // is full) says why.
  Status Decode(const uint8_t* data, size_t size, DecodedMessage* message);

  // Appends rows [first, first + count) of the batch last decoded to `out`.
  // REQUIRES: `message` came from the last Decode (its data still alive),
  // first + count <= row_count, count <= out->capacity() - out->size(),
  // out->width() >= schema.size().
  void CopyRows(const DecodedMessage& message, uint32_t first, uint32_t count,
                schema::RowBatch* out) const;

  uint64_t fingerprint() const { return fingerprint_; }
  size_t max_message_bytes() const { return max_message_bytes_; }
  size_t footprint_bytes() const { return sym_map_.capacity() * sizeof(uint32_t); }

 private:
  Status DecodeBatch(const void* batch, DecodedMessage* message);

  uint32_t width_;
  uint64_t fingerprint_;
  size_t max_message_bytes_;
  schema::SymbolTable* symbols_;
  std::vector<uint32_t> sym_fields_;
  std::vector<uint32_t> bool_fields_;
  std::vector<uint32_t> sym_map_;  // batch dictionary index -> local id
};

}  // namespace runnel::wire
