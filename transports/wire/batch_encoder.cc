#include "transports/wire/batch_encoder.h"

#include <algorithm>
#include <cstring>

#include "core/schema/null.h"
#include "transports/wire/fingerprint.h"
#include "transports/wire/wire_generated.h"

namespace runnel::wire {

static_assert(FLATBUFFERS_LITTLEENDIAN, "slots are copied as little-endian words");

namespace {

uint32_t PowerOfTwoAtLeast(uint64_t n) {
  uint32_t p = 16;
  while (p < n && p < (1u << 30)) p <<= 1;
  return p;
}

}  // namespace

BatchEncoder::BatchEncoder(const schema::Schema& schema, const schema::SymbolTable* symbols,
                           uint32_t max_rows)
    : schema_(schema),
      symbols_(symbols),
      max_rows_(max_rows),
      width_(schema.size()),
      fingerprint_(SchemaFingerprint(schema)) {
  for (uint32_t f = 0; f < width_; ++f) {
    if (schema.field(f).type == schema::FieldType::kSym) sym_fields_.push_back(f);
  }
  uint64_t max_symbols = uint64_t{max_rows} * sym_fields_.size();
  if (!sym_fields_.empty()) {
    map_mask_ = PowerOfTwoAtLeast(2 * max_symbols) - 1;
    map_.assign(size_t{map_mask_} + 1, MapEntry{0, 0, 0});
    distinct_.reserve(max_symbols);
  }
  // String offsets: a batch's symbols, or a Hello's schema fields.
  offsets_.reserve(std::max<uint64_t>(max_symbols, width_));
  // Slots plus headroom for the tables and some symbol text; the builder
  // grows (allocating) only if the symbols of a batch are longer.
  initial_bytes_ = size_t{max_rows} * width_ * 8 + max_symbols * 32 + 1024;
  builder_ = new flatbuffers::FlatBufferBuilder(initial_bytes_);
}

BatchEncoder::~BatchEncoder() { delete builder_; }

const uint8_t* BatchEncoder::data() const { return builder_->GetBufferPointer(); }
size_t BatchEncoder::size() const { return builder_->GetSize(); }

size_t BatchEncoder::footprint_bytes() const {
  return initial_bytes_ + map_.size() * sizeof(MapEntry) +
         (distinct_.capacity() + offsets_.capacity()) * sizeof(uint32_t);
}

uint32_t BatchEncoder::SymbolIndex(uint32_t id) {
  uint32_t bucket = (id * 0x9E3779B1u) & map_mask_;
  while (true) {
    MapEntry& e = map_[bucket];
    if (e.stamp != stamp_) {
      e = MapEntry{stamp_, id, static_cast<uint32_t>(distinct_.size())};
      distinct_.push_back(id);
      return e.index;
    }
    if (e.id == id) return e.index;
    bucket = (bucket + 1) & map_mask_;
  }
}

void BatchEncoder::EncodeBatch(const BatchHeader& header, const schema::RowBatch& rows,
                               uint32_t first, uint32_t count) {
  flatbuffers::FlatBufferBuilder& b = *builder_;
  b.Clear();
  distinct_.clear();
  offsets_.clear();
  if (++stamp_ == 0) {  // wrapped: forget every old entry for good
    for (MapEntry& e : map_) e.stamp = 0;
    stamp_ = 1;
  }
  uint64_t* out = nullptr;
  auto slots = b.CreateUninitializedVector<uint64_t>(size_t{count} * width_, &out);
  for (uint32_t r = first; r < first + count; ++r) {
    const schema::Slot* row = rows.row(r);
    std::memcpy(out, row, sizeof(uint64_t) * width_);
    for (uint32_t f : sym_fields_) {
      // A null sym keeps its slot value, which is no index (docs/WIRE.md).
      if (row[f].i64 != schema::kNullInt) out[f] = SymbolIndex(static_cast<uint32_t>(row[f].i64));
    }
    out += width_;
  }
  // `out` is invalid from here on: creating strings may move the buffer.
  for (uint32_t id : distinct_) {
    std::string_view text = symbols_->Lookup(id);
    offsets_.push_back(b.CreateString(text.data(), text.size()).o);
  }
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> dictionary;
  if (!sym_fields_.empty()) {
    static_assert(sizeof(flatbuffers::Offset<flatbuffers::String>) == sizeof(uint32_t), "");
    dictionary = b.CreateVector(
        reinterpret_cast<const flatbuffers::Offset<flatbuffers::String>*>(offsets_.data()),
        offsets_.size());
  }
  flatbuffers::Offset<flatbuffers::String> name;
  if (!header.producer_name.empty()) {
    name = b.CreateString(header.producer_name.data(), header.producer_name.size());
  }
  fb::BatchBuilder batch(b);
  batch.add_producer(header.producer);
  batch.add_epoch(header.epoch);
  batch.add_sequence(header.sequence);
  batch.add_schema_fingerprint(fingerprint_);
  batch.add_watermark(header.watermark);
  batch.add_slots(slots);
  if (!sym_fields_.empty()) batch.add_symbols(dictionary);
  if (!name.IsNull()) batch.add_producer_name(name);
  batch.add_row_count(count);
  batch.add_width(width_);
  if (header.first_row != 0) batch.add_first_row(header.first_row);
  auto message = batch.Finish();
  fb::FinishEnvelopeBuffer(
      b, fb::CreateEnvelope(b, 1, fb::Message::Batch, message.Union()));
}

void BatchEncoder::EncodeHello(uint64_t producer, std::string_view producer_name, uint64_t epoch,
                               uint64_t next_sequence) {
  flatbuffers::FlatBufferBuilder& b = *builder_;
  b.Clear();
  offsets_.clear();
  for (const schema::Field& f : schema_.fields()) {
    offsets_.push_back(
        fb::CreateField(b, b.CreateString(f.name),
                        static_cast<fb::FieldType>(static_cast<int8_t>(f.type)))
            .o);
  }
  static_assert(sizeof(flatbuffers::Offset<fb::Field>) == sizeof(uint32_t), "");
  auto schema = b.CreateVector(
      reinterpret_cast<const flatbuffers::Offset<fb::Field>*>(offsets_.data()), offsets_.size());
  flatbuffers::Offset<flatbuffers::String> name;
  if (!producer_name.empty()) name = b.CreateString(producer_name.data(), producer_name.size());
  fb::HelloBuilder hello(b);
  hello.add_producer(producer);
  if (!name.IsNull()) hello.add_producer_name(name);
  hello.add_epoch(epoch);
  hello.add_schema(schema);
  hello.add_schema_fingerprint(fingerprint_);
  hello.add_next_sequence(next_sequence);
  auto message = hello.Finish();
  fb::FinishEnvelopeBuffer(b, fb::CreateEnvelope(b, 1, fb::Message::Hello, message.Union()));
}

void BatchEncoder::EncodeHeartbeat(const HeartbeatInfo& h) {
  flatbuffers::FlatBufferBuilder& b = *builder_;
  b.Clear();
  auto message = fb::CreateHeartbeat(b, h.producer, h.epoch, h.last_sequence, h.watermark,
                                     h.sent_at_ns, h.closing, h.last_row);
  fb::FinishEnvelopeBuffer(b,
                           fb::CreateEnvelope(b, 1, fb::Message::Heartbeat, message.Union()));
}

}  // namespace runnel::wire
