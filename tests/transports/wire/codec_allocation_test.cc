// BatchEncoder and FrameDecoder allocate nothing per row or per batch once
// warmed up: 1,000 batches of 256 rows (sym, ts, f64, bool, i64) are
// encoded, decoded and copied out, with a Hello and a heartbeat every 100
// batches (a ZmqSink encodes them on the task's thread), every malloc
// counted, and the count must be zero.
//
// Allocations are counted by //tests/testing:allocation_counter (its own
// binary: the counter replaces malloc).
#include <cstdint>
#include <string>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
#include "transports/wire/frame_decoder.h"
#include "tests/testing/allocation_counter.h"


// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using namespace runnel::schema;
using namespace runnel::wire;

TEST_GROUP(WireCodecAllocation){};

TEST(WireCodecAllocation, SteadyStateAllocatesNothing) {
  Schema schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs},
                 {"n", FieldType::kI64, TimeUnit::kMs}});
  SymbolTable sender(4096, 1 << 16);
  SymbolTable receiver(4096, 1 << 16);
  uint32_t ids[100];
  for (int k = 0; k < 100; ++k) {
    if (!sender.Intern("device-" + std::to_string(k), &ids[k])) FAIL("intern");
  }
  const uint32_t kRows = 256;
  RowBatch in(5, kRows);
  RowBatch out(5, kRows);
  BatchEncoder encoder(schema, &sender, kRows);
  FrameDecoder decoder(schema, &receiver);
  uint64_t rows_out = 0;
  auto round = [&](int b) {
    in.Clear();
    for (uint32_t r = 0; r < kRows; ++r) {
      Slot* row = in.Append();
      row[0].i64 = ids[(b * 7 + r) % 100];
      row[1].i64 = int64_t{b} * 1000 + r - 5000;
      row[2].f64 = r * 0.5;
      row[3].i64 = r & 1;
      row[4].i64 = -int64_t{r};
    }
    BatchHeader header;
    header.producer = 1;
    header.producer_name = "p";
    header.sequence = static_cast<uint64_t>(b) + 1;
    header.watermark = b;
    encoder.EncodeBatch(header, in);
    DecodedMessage m;
    if (!decoder.Decode(encoder.data(), encoder.size(), &m).ok()) return false;
    out.Clear();
    decoder.CopyRows(m, 0, m.row_count, &out);
    rows_out += out.size();
    if (b % 100 == 0) {
      encoder.EncodeHello(1, "p", 1, header.sequence + 1);
      if (!decoder.Decode(encoder.data(), encoder.size(), &m).ok()) return false;
      HeartbeatInfo heartbeat;
      heartbeat.producer = 1;
      heartbeat.last_sequence = header.sequence;
      encoder.EncodeHeartbeat(heartbeat);
      if (!decoder.Decode(encoder.data(), encoder.size(), &m).ok()) return false;
    }
    return true;
  };
  for (int b = 0; b < 10; ++b) CHECK(round(b));  // warm-up: the builder grows
  runnel::testing::StartCountingAllocations();
  bool ok = true;
  for (int b = 10; b < 1010; ++b) ok = round(b) && ok;
  const uint64_t allocations = runnel::testing::StopCountingAllocations();
  CHECK(ok);
  UNSIGNED_LONGLONGS_EQUAL(1010ull * kRows, rows_out);
  UNSIGNED_LONGLONGS_EQUAL(0, allocations);
}
