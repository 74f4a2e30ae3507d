// BatchEncoder and FrameDecoder: round trips of every field type, the
// fingerprint of docs/WIRE.md, and every kind of bad frame rejected with a
// status that names what is wrong.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/schema/null.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
#include "transports/wire/fingerprint.h"
#include "transports/wire/frame_decoder.h"
#include "transports/wire/wire_generated.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::Status;
using runnel::StatusCode;
using namespace runnel::schema;
using namespace runnel::wire;
namespace fb = runnel::wire::fb;

namespace {

// device sym, ts ts, temp f64, ok bool, n i64
Schema AllTypes() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs},
                 {"n", FieldType::kI64, TimeUnit::kMs}});
}

std::vector<uint8_t> Bytes(const BatchEncoder& encoder) {
  return std::vector<uint8_t>(encoder.data(), encoder.data() + encoder.size());
}

// A Batch built field by field, so tests can make it wrong on purpose.
struct RawBatch {
  uint64_t fingerprint = SchemaFingerprint(AllTypes());
  uint32_t row_count = 1;
  uint32_t width = 5;
  std::vector<uint64_t> slots = {0, 1, 0, 1, 7};
  std::vector<std::string> symbols = {"dev-a"};
  uint16_t version = 1;

  std::vector<uint8_t> Build() const {
    flatbuffers::FlatBufferBuilder b;
    auto s = b.CreateVector(slots);
    auto d = b.CreateVectorOfStrings(symbols);
    fb::BatchBuilder batch(b);
    batch.add_schema_fingerprint(fingerprint);
    batch.add_row_count(row_count);
    batch.add_width(width);
    batch.add_slots(s);
    batch.add_symbols(d);
    batch.add_sequence(1);
    auto m = batch.Finish();
    fb::FinishEnvelopeBuffer(b, fb::CreateEnvelope(b, version, fb::Message::Batch, m.Union()));
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }
};

}  // namespace

TEST_GROUP(WireCodec) {
  Schema schema = AllTypes();
  SymbolTable sender_symbols{1024, 1 << 16};
  SymbolTable receiver_symbols{1024, 1 << 16};

  Status Decode(const std::vector<uint8_t>& bytes, DecodedMessage* m,
                size_t max_bytes = FrameDecoder::kDefaultMaxMessageBytes) {
    FrameDecoder decoder(schema, &receiver_symbols, max_bytes);
    return decoder.Decode(bytes.data(), bytes.size(), m);
  }

  // Decoding `bytes` fails with a message containing `what`.
  void Rejects(const std::vector<uint8_t>& bytes, const char* what,
               size_t max_bytes = FrameDecoder::kDefaultMaxMessageBytes) {
    DecodedMessage m;
    Status status = Decode(bytes, &m, max_bytes);
    CHECK_FALSE(status.ok());
    if (status.message().find(what) == std::string::npos) {
      FAIL(("expected '" + std::string(what) + "' in: " + status.message()).c_str());
    }
  }
};

TEST(WireCodec, FingerprintFollowsWireMd) {
  Schema s({{"device", FieldType::kSym, TimeUnit::kMs},
            {"ts", FieldType::kTs, TimeUnit::kMs},
            {"temp", FieldType::kF64, TimeUnit::kMs}});
  // FNV-1a of "device:sym;ts:ts;temp:f64;" (computed independently).
  UNSIGNED_LONGLONGS_EQUAL(0x05ec233f8e615b63ull, SchemaFingerprint(s));
}

TEST(WireCodec, RoundTripsEveryType) {
  RowBatch in(6, 8);  // one extra slot (a hidden watermark) is not sent
  const char* devices[] = {"dev-a", "dev-b", "dev-a", "", "dév-ü"};
  const double temps[] = {21.5, -0.0, std::nan(""), std::numeric_limits<double>::infinity(),
                          -1e-300};
  const int64_t times[] = {-5, 0, INT64_MIN, INT64_MAX, -1700000000000000000};
  for (int r = 0; r < 5; ++r) {
    Slot* row = in.Append();
    uint32_t id;
    CHECK(sender_symbols.Intern(devices[r], &id));
    row[0].i64 = id;
    row[1].i64 = times[r];
    row[2].f64 = temps[r];
    row[3].i64 = r % 2;
    row[4].i64 = r == 0 ? INT64_MIN : -r * 1000;
    row[5].i64 = 12345;
  }
  // Receiver ids differ from the sender's.
  uint32_t unrelated;
  CHECK(receiver_symbols.Intern("something else", &unrelated));

  BatchEncoder encoder(schema, &sender_symbols, 8);
  BatchHeader header;
  header.producer = 77;
  header.producer_name = "device-1";
  header.epoch = 3;
  header.sequence = 42;
  header.watermark = -123;
  encoder.EncodeBatch(header, in);

  FrameDecoder decoder(schema, &receiver_symbols);
  DecodedMessage m;
  Status status = decoder.Decode(encoder.data(), encoder.size(), &m);
  CHECK_TRUE_TEXT(status.ok(), status.message().c_str());
  CHECK(m.kind == MessageKind::kBatch);
  UNSIGNED_LONGLONGS_EQUAL(77, m.producer);
  UNSIGNED_LONGLONGS_EQUAL(3, m.epoch);
  UNSIGNED_LONGLONGS_EQUAL(42, m.sequence);
  LONGLONGS_EQUAL(-123, m.watermark);
  UNSIGNED_LONGS_EQUAL(5, m.row_count);

  RowBatch out(5, 8);
  decoder.CopyRows(m, 0, 2, &out);
  decoder.CopyRows(m, 2, 3, &out);
  UNSIGNED_LONGS_EQUAL(5, out.size());
  for (int r = 0; r < 5; ++r) {
    STRCMP_EQUAL(devices[r],
                 std::string(receiver_symbols.Lookup(static_cast<uint32_t>(out.row(r)[0].i64)))
                     .c_str());
    LONGLONGS_EQUAL(times[r], out.row(r)[1].i64);
    // Bit patterns, so NaN and -0.0 compare exactly.
    LONGLONGS_EQUAL(in.row(r)[2].i64, out.row(r)[2].i64);
    LONGLONGS_EQUAL(r % 2, out.row(r)[3].i64);
    LONGLONGS_EQUAL(in.row(r)[4].i64, out.row(r)[4].i64);
  }
  CHECK(std::isnan(out.row(2)[2].f64));
  CHECK(std::signbit(out.row(1)[2].f64));
}

TEST(WireCodec, NullSymRoundTripsWithoutADictionaryEntry) {
  RowBatch in(5, 2);
  Slot* row = in.Append();
  row[0].i64 = kNullInt;
  row[1].i64 = 1;
  row[2].f64 = 1.5;
  row[3].i64 = 0;
  row[4].i64 = 2;
  BatchEncoder encoder(schema, &sender_symbols, 2);
  encoder.EncodeBatch(BatchHeader(), in);
  FrameDecoder decoder(schema, &receiver_symbols);
  DecodedMessage m;
  Status status = decoder.Decode(encoder.data(), encoder.size(), &m);
  CHECK_TRUE_TEXT(status.ok(), status.message().c_str());
  RowBatch out(5, 2);
  decoder.CopyRows(m, 0, 1, &out);
  LONGLONGS_EQUAL(kNullInt, out.row(0)[0].i64);
  UNSIGNED_LONGS_EQUAL(0, receiver_symbols.size());
}

TEST(WireCodec, DictionaryHoldsEachSymbolOnce) {
  Schema s({{"a", FieldType::kSym, TimeUnit::kMs}, {"b", FieldType::kSym, TimeUnit::kMs}});
  RowBatch in(2, 100);
  uint32_t x, y;
  CHECK(sender_symbols.Intern("x", &x));
  CHECK(sender_symbols.Intern("y", &y));
  for (int r = 0; r < 100; ++r) {
    Slot* row = in.Append();
    row[0].i64 = r % 2 ? x : y;
    row[1].i64 = x;
  }
  BatchEncoder encoder(s, &sender_symbols, 100);
  for (int round = 0; round < 3; ++round) {  // the map is reused batch after batch
    encoder.EncodeBatch(BatchHeader(), in);
    const fb::Batch* batch = fb::GetEnvelope(encoder.data())->message_as_Batch();
    UNSIGNED_LONGS_EQUAL(2, batch->symbols()->size());
  }
}

TEST(WireCodec, EmptyBatchCarriesWatermark) {
  RowBatch in(5, 4);
  BatchEncoder encoder(schema, &sender_symbols, 4);
  BatchHeader header;
  header.watermark = 99;
  encoder.EncodeBatch(header, in);
  DecodedMessage m;
  Status status = Decode(Bytes(encoder), &m);
  CHECK_TRUE_TEXT(status.ok(), status.message().c_str());
  UNSIGNED_LONGS_EQUAL(0, m.row_count);
  LONGLONGS_EQUAL(99, m.watermark);
}

TEST(WireCodec, HelloAndHeartbeatDecode) {
  BatchEncoder encoder(schema, &sender_symbols, 4);
  encoder.EncodeHello(5, "dev", 2, 10);
  DecodedMessage m;
  CHECK(Decode(Bytes(encoder), &m).ok());
  CHECK(m.kind == MessageKind::kHello);
  UNSIGNED_LONGLONGS_EQUAL(SchemaFingerprint(schema), m.fingerprint);
  UNSIGNED_LONGLONGS_EQUAL(10, m.sequence);
  HeartbeatInfo h;
  h.producer = 5;
  h.epoch = 2;
  h.last_sequence = 9;
  h.watermark = 1000;
  h.closing = true;
  encoder.EncodeHeartbeat(h);
  CHECK(Decode(Bytes(encoder), &m).ok());
  CHECK(m.kind == MessageKind::kHeartbeat);
  UNSIGNED_LONGLONGS_EQUAL(9, m.sequence);
  LONGLONGS_EQUAL(1000, m.watermark);
  CHECK(m.closing);
}

TEST(WireCodec, ValidRawBatchDecodes) {
  DecodedMessage m;
  CHECK(Decode(RawBatch().Build(), &m).ok());
}

TEST(WireCodec, RejectsOversizedMessage) {
  Rejects(RawBatch().Build(), "exceeds the limit of 64", 64);
}

TEST(WireCodec, RejectsNonEnvelope) {
  Rejects(std::vector<uint8_t>{'d', 'e', 'v', ',', '1', '2', '\n'}, "not a Runnel envelope");
  Rejects(std::vector<uint8_t>{}, "not a Runnel envelope");
}

TEST(WireCodec, RejectsTruncatedAndCorrupt) {
  std::vector<uint8_t> good = RawBatch().Build();
  for (size_t n = 8; n < good.size(); n += 3) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    Rejects(cut, "verification");
  }
  std::vector<uint8_t> bad = good;
  bad[0] = 0xff;  // root offset past the end
  bad[1] = 0xff;
  Rejects(bad, "verification");
}

TEST(WireCodec, RejectsUnknownVersion) {
  RawBatch raw;
  raw.version = 2;
  Rejects(raw.Build(), "unknown wire version 2");
}

TEST(WireCodec, RejectsFingerprintMismatch) {
  RawBatch raw;
  raw.fingerprint = 1;
  Rejects(raw.Build(), "schema fingerprint 0000000000000001 differs");
}

TEST(WireCodec, RejectsWidthMismatch) {
  RawBatch raw;
  raw.width = 4;
  raw.slots = {0, 1, 0, 1};
  Rejects(raw.Build(), "batch width 4 differs from the 5 fields");
}

TEST(WireCodec, RejectsSlotCountMismatch) {
  RawBatch raw;
  raw.row_count = 2;
  Rejects(raw.Build(), "batch has 5 slots; row_count 2 x width 5 needs 10");
  raw.row_count = 0xffffffff;  // no overflow into a small product
  Rejects(raw.Build(), "needs 21474836475");
}

TEST(WireCodec, RejectsSymbolIndexPastDictionary) {
  RawBatch raw;
  raw.slots = {1, 1, 0, 1, 7};
  Rejects(raw.Build(), "row 0 field 0: symbol index 1 past the 1 symbols");
  raw.symbols.clear();
  raw.slots = {0, 1, 0, 1, 7};
  Rejects(raw.Build(), "symbol index 0 past the 0 symbols");
}

TEST(WireCodec, RejectsBoolOutOfRange) {
  RawBatch raw;
  raw.slots = {0, 1, 0, 2, 7};
  Rejects(raw.Build(), "row 0 field 3: bool slot is 2, not 0 or 1");
}

TEST(WireCodec, RejectsTooManySymbols) {
  RawBatch raw;
  raw.symbols.assign(5, "s");
  FrameDecoder decoder(schema, &receiver_symbols, 1 << 20, 4);
  std::vector<uint8_t> bytes = raw.Build();
  DecodedMessage m;
  Status status = decoder.Decode(bytes.data(), bytes.size(), &m);
  CHECK_FALSE(status.ok());
  STRCMP_CONTAINS("batch has 5 symbols, more than the 4", status.message().c_str());
}

TEST(WireCodec, RejectsWhenSymbolTableFull) {
  SymbolTable tiny(1, 64);
  uint32_t id;
  CHECK(tiny.Intern("taken", &id));
  FrameDecoder decoder(schema, &tiny);
  std::vector<uint8_t> bytes = RawBatch().Build();
  DecodedMessage m;
  Status status = decoder.Decode(bytes.data(), bytes.size(), &m);
  CHECK(status.code() == StatusCode::kResourceExhausted);
  STRCMP_CONTAINS("symbol table is full", status.message().c_str());
}

TEST(WireCodec, RejectsMissingUnionMember) {
  // Built without EnvelopeBuilder::Finish, whose debug-build assertion
  // refuses an Envelope without its required message: a hostile peer's
  // encoder checks nothing.
  flatbuffers::FlatBufferBuilder b;
  const flatbuffers::uoffset_t start = b.StartTable();
  b.AddElement<uint16_t>(fb::Envelope::VT_VERSION, 1, 1);
  fb::FinishEnvelopeBuffer(b, flatbuffers::Offset<fb::Envelope>(b.EndTable(start)));
  std::vector<uint8_t> bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  Rejects(bytes, "verification");
}
