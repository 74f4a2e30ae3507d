// Writes the seed corpus of the frame-decoder fuzzer (tests/fuzz/frames/):
// valid wire messages of the fuzzer's schema made by BatchEncoder — batches
// of 0, 1 and 40 rows (few and many symbols), a Hello, heartbeats — so the
// fuzzer starts from frames that pass every check. Run it again after
// wire.fbs changes:
//
//   bazel run //tests/fuzz:frame_seeds -- "$PWD/tests/fuzz/frames"
#include <cstdio>
#include <string>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "tests/transports/wire/reading_builder.h"
#include "transports/wire/batch_encoder.h"

namespace {

using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::TimeUnit;

bool Write(const std::string& dir, const char* name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  FILE* out = fopen(path.c_str(), "wb");
  if (out == nullptr) {
    perror(path.c_str());
    return false;
  }
  bool ok = fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  return (fclose(out) == 0) && ok;
}

bool Write(const std::string& dir, const char* name, const runnel::wire::BatchEncoder& encoder) {
  return Write(dir, name, std::string(reinterpret_cast<const char*>(encoder.data()),
                                      encoder.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: frame_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  // As in frame_decoder_fuzzer.cc.
  runnel::schema::Schema schema({{"device", FieldType::kSym, TimeUnit::kMs},
                                 {"ts", FieldType::kTs, TimeUnit::kMs},
                                 {"temp", FieldType::kF64, TimeUnit::kMs},
                                 {"ok", FieldType::kBool, TimeUnit::kMs},
                                 {"count", FieldType::kI64, TimeUnit::kMs}});
  runnel::schema::SymbolTable symbols(64, 4096);
  runnel::wire::BatchEncoder encoder(schema, &symbols, 40);
  RowBatch rows(schema.size(), 40);
  runnel::wire::BatchHeader header;
  header.producer = 0x5eed;
  header.producer_name = "seed";
  header.epoch = 1;
  bool ok = true;

  header.sequence = 1;
  encoder.EncodeBatch(header, rows);
  ok = Write(dir, "batch_empty.rnlw", encoder) && ok;

  const char* names[] = {"batch_1_row.rnlw", "batch_40_rows.rnlw"};
  const uint32_t counts[] = {1, 40};
  for (int b = 0; b < 2; ++b) {
    rows.Clear();
    for (uint32_t i = 0; i < counts[b]; ++i) {
      runnel::schema::Slot* s = rows.Append();
      uint32_t id = 0;
      symbols.Intern("dev-" + std::to_string(i % 9), &id);
      s[0].i64 = id;
      s[1].i64 = 1700000000000000000 + int64_t{i} * 1000000;
      s[2].f64 = 20.5 + i;
      s[3].i64 = i % 2;
      s[4].i64 = -int64_t{i};
    }
    header.sequence = 2 + b;
    header.watermark = 1700000000000000000;
    encoder.EncodeBatch(header, rows);
    ok = Write(dir, names[b], encoder) && ok;
  }

  encoder.EncodeHello(header.producer, header.producer_name, header.epoch, 4);
  ok = Write(dir, "hello.rnlw", encoder) && ok;
  runnel::wire::HeartbeatInfo heartbeat;
  heartbeat.producer = header.producer;
  heartbeat.epoch = 1;
  heartbeat.last_sequence = 3;
  heartbeat.sent_at_ns = 1700000000000000000;
  encoder.EncodeHeartbeat(heartbeat);
  ok = Write(dir, "heartbeat.rnlw", encoder) && ok;
  heartbeat.closing = true;
  encoder.EncodeHeartbeat(heartbeat);
  ok = Write(dir, "heartbeat_closing.rnlw", encoder) && ok;

  runnel::testing::ReadingSpec reading;
  reading.ts_ms = 1700000000123;
  reading.numbers = {{"temp", 21.5}, {"ok", 1}, {"count", 7}, {"humidity", 40}};
  reading.texts = {{"device", "dev-1"}, {"site", "north"}};
  ok = Write(dir, "reading.rnlw", runnel::testing::EncodeReading(reading)) && ok;
  return ok ? 0 : 1;
}
