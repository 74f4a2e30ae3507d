#include "transports/wire/frame_decoder.h"

#include <cstring>
#include <string>

#include "core/schema/null.h"
#include "transports/wire/fingerprint.h"
#include "transports/wire/wire_generated.h"

namespace runnel::wire {

static_assert(FLATBUFFERS_LITTLEENDIAN, "slots are copied as little-endian words");

namespace {

uint64_t Word(const uint8_t* slots, size_t index) {
  uint64_t word;
  std::memcpy(&word, slots + index * sizeof(uint64_t), sizeof(word));
  return word;
}

std::string Hex(uint64_t value) {
  char text[19];
  snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

FrameDecoder::FrameDecoder(const schema::Schema& schema, schema::SymbolTable* symbols,
                           size_t max_message_bytes, uint32_t max_symbols)
    : width_(schema.size()),
      fingerprint_(SchemaFingerprint(schema)),
      // The verifier cannot address more than FLATBUFFERS_MAX_BUFFER_SIZE.
      max_message_bytes_(max_message_bytes < FLATBUFFERS_MAX_BUFFER_SIZE
                             ? max_message_bytes
                             : FLATBUFFERS_MAX_BUFFER_SIZE - 1),
      symbols_(symbols) {
  for (uint32_t f = 0; f < width_; ++f) {
    schema::FieldType type = schema.field(f).type;
    if (type == schema::FieldType::kSym) sym_fields_.push_back(f);
    if (type == schema::FieldType::kBool) bool_fields_.push_back(f);
  }
  sym_map_.reserve(sym_fields_.empty() ? 0 : max_symbols);
}

Status FrameDecoder::Decode(const uint8_t* data, size_t size, DecodedMessage* message) {
  if (size > max_message_bytes_) {
    return DataError("message of " + std::to_string(size) + " bytes exceeds the limit of " +
                     std::to_string(max_message_bytes_));
  }
  if (size < 8 || !fb::EnvelopeBufferHasIdentifier(data)) {
    return DataError("not a Runnel envelope (no RNLW identifier at bytes 4-7)");
  }
  flatbuffers::Verifier::Options options;
  options.max_depth = 16;
  options.max_tables = 1u << 20;
  flatbuffers::Verifier verifier(data, size, options);
  if (!fb::VerifyEnvelopeBuffer(verifier)) {
    return DataError("envelope fails FlatBuffers verification (truncated or malformed)");
  }
  const fb::Envelope* envelope = fb::GetEnvelope(data);
  if (envelope->version() != 1) {
    return DataError("unknown wire version " + std::to_string(envelope->version()) +
                     " (this receiver reads version 1)");
  }
  *message = DecodedMessage();
  switch (envelope->message_type()) {
    case fb::Message::Batch:
      return DecodeBatch(envelope->message_as_Batch(), message);
    case fb::Message::Hello: {
      const fb::Hello* hello = envelope->message_as_Hello();
      message->kind = MessageKind::kHello;
      message->producer = hello->producer();
      message->epoch = hello->epoch();
      message->sequence = hello->next_sequence();
      message->fingerprint = hello->schema_fingerprint();
      return Status::Ok();
    }
    case fb::Message::Heartbeat: {
      const fb::Heartbeat* heartbeat = envelope->message_as_Heartbeat();
      message->kind = MessageKind::kHeartbeat;
      message->producer = heartbeat->producer();
      message->epoch = heartbeat->epoch();
      message->sequence = heartbeat->last_sequence();
      message->watermark = heartbeat->watermark();
      message->closing = heartbeat->closing();
      message->row = heartbeat->last_row();
      return Status::Ok();
    }
    case fb::Message::Ack:  // back-channel messages (back_channel.h)
      message->kind = MessageKind::kAck;
      return Status::Ok();
    case fb::Message::ReplayRequest:
      message->kind = MessageKind::kReplayRequest;
      return Status::Ok();
    case fb::Message::Reading:
      message->kind = MessageKind::kReading;
      message->reading = envelope->message_as_Reading();
      return Status::Ok();
    default:
      return DataError("unknown message type " +
                       std::to_string(static_cast<int>(envelope->message_type())));
  }
}

Status FrameDecoder::DecodeBatch(const void* batch_table, DecodedMessage* message) {
  const fb::Batch* batch = static_cast<const fb::Batch*>(batch_table);
  if (batch->schema_fingerprint() != fingerprint_) {
    return DataError("schema fingerprint " + Hex(batch->schema_fingerprint()) +
                     " differs from this receiver's " + Hex(fingerprint_));
  }
  if (batch->width() != width_) {
    return DataError("batch width " + std::to_string(batch->width()) + " differs from the " +
                     std::to_string(width_) + " fields of the schema");
  }
  const uint32_t rows = batch->row_count();
  const size_t words = batch->slots() ? batch->slots()->size() : 0;
  if (words != uint64_t{rows} * width_) {
    return DataError("batch has " + std::to_string(words) + " slots; row_count " +
                     std::to_string(rows) + " x width " + std::to_string(width_) + " needs " +
                     std::to_string(uint64_t{rows} * width_));
  }
  const uint8_t* slots = words ? batch->slots()->Data() : nullptr;
  const uint32_t dictionary = batch->symbols() ? batch->symbols()->size() : 0;
  if (!sym_fields_.empty() && dictionary > sym_map_.capacity()) {
    return DataError("batch has " + std::to_string(dictionary) + " symbols, more than the " +
                     std::to_string(sym_map_.capacity()) + " a batch may have");
  }
  for (uint32_t r = 0; r < rows; ++r) {
    const size_t base = size_t{r} * width_;
    for (uint32_t f : sym_fields_) {
      uint64_t index = Word(slots, base + f);
      if (index >= dictionary && index != static_cast<uint64_t>(schema::kNullInt)) {
        return DataError("row " + std::to_string(r) + " field " + std::to_string(f) +
                         ": symbol index " + std::to_string(index) + " past the " +
                         std::to_string(dictionary) + " symbols of the batch");
      }
    }
    for (uint32_t f : bool_fields_) {
      uint64_t value = Word(slots, base + f);
      if (value > 1) {
        return DataError("row " + std::to_string(r) + " field " + std::to_string(f) +
                         ": bool slot is " + std::to_string(value) + ", not 0 or 1");
      }
    }
  }
  if (!sym_fields_.empty()) {
    sym_map_.clear();
    for (uint32_t i = 0; i < dictionary; ++i) {
      const flatbuffers::String* text = batch->symbols()->Get(i);
      uint32_t id;
      if (!symbols_->Intern(std::string_view(text->data(), text->size()), &id)) {
        return ResourceExhausted("the symbol table is full (" +
                                 std::to_string(symbols_->max_symbols()) + " symbols, " +
                                 std::to_string(symbols_->max_bytes()) + " bytes)");
      }
      sym_map_.push_back(id);
    }
  }
  message->kind = MessageKind::kBatch;
  message->producer = batch->producer();
  message->epoch = batch->epoch();
  message->sequence = batch->sequence();
  message->row = batch->first_row();
  message->watermark = batch->watermark();
  message->fingerprint = batch->schema_fingerprint();
  message->row_count = rows;
  message->slots = slots;
  return Status::Ok();
}

void FrameDecoder::CopyRows(const DecodedMessage& message, uint32_t first, uint32_t count,
                            schema::RowBatch* out) const {
  const size_t bytes = sizeof(uint64_t) * width_;
  const uint8_t* from = message.slots + size_t{first} * bytes;
  for (uint32_t r = 0; r < count; ++r, from += bytes) {
    schema::Slot* row = out->Append();
    std::memcpy(row, from, bytes);
    for (uint32_t f : sym_fields_) {
      if (row[f].i64 != schema::kNullInt) row[f].i64 = sym_map_[static_cast<size_t>(row[f].i64)];
    }
  }
}

}  // namespace runnel::wire
