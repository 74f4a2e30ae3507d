// libFuzzer target for the wire-frame decoder: the bytes are frame 2 of a
// ZeroMQ message (docs/WIRE.md), as a zmq source receives it from any peer.
// FrameDecoder checks it against a schema with every field type; a batch
// that passes has all its rows copied out, and each copied sym slot must
// name a symbol of the receiver's table; a sensor's Reading goes through
// ReadingDecoder as a `reading` source takes it. Anything else (a crash, a sanitizer
// report, a trap) is a finding.
//
// Built two ways (tests/fuzz/BUILD): with clang's -fsanitize=fuzzer
// (tools/fuzz frame_decoder), and with the normal toolchain into a CppUTest
// suite that replays tests/fuzz/frames/.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/schema/null.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/frame_decoder.h"
#include "transports/wire/reading_decoder.h"

namespace {

using runnel::schema::FieldType;
using runnel::schema::TimeUnit;

// The schema the seeds (tests/fuzz/frame_seeds.cc) are encoded for.
runnel::schema::Schema FuzzSchema() {
  return runnel::schema::Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                                 {"ts", FieldType::kTs, TimeUnit::kMs},
                                 {"temp", FieldType::kF64, TimeUnit::kMs},
                                 {"ok", FieldType::kBool, TimeUnit::kMs},
                                 {"count", FieldType::kI64, TimeUnit::kMs}});
}

// Small limits, so that the fuzzer also reaches the size and symbol checks.
constexpr size_t kMaxMessageBytes = 1 << 16;
constexpr uint32_t kMaxSymbols = 64;
constexpr uint32_t kOutRows = 7;  // rows are copied out in pieces, as Read does

// A decoded sym slot is an interned id or the null (docs/WIRE.md).
bool KnownSymbol(int64_t slot, const runnel::schema::SymbolTable& symbols) {
  return slot == runnel::schema::kNullInt || static_cast<uint64_t>(slot) < symbols.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const runnel::schema::Schema schema = FuzzSchema();
  // Fresh per input, so each run is reproducible alone. Smaller than the
  // batch limit, so a full table is reached too.
  runnel::schema::SymbolTable symbols(48, 1024);
  runnel::wire::FrameDecoder decoder(schema, &symbols, kMaxMessageBytes, kMaxSymbols);
  // A zmq source hands the decoder 8-byte-aligned bytes (it copies
  // misaligned messages), and so does this.
  std::vector<uint64_t> aligned((size + 7) / 8);
  if (size > 0) std::memcpy(aligned.data(), data, size);
  runnel::wire::DecodedMessage message;
  if (!decoder.Decode(reinterpret_cast<const uint8_t*>(aligned.data()), size, &message).ok()) {
    return 0;
  }
  if (message.kind == runnel::wire::MessageKind::kReading) {
    runnel::wire::ReadingDecoder readings(schema, &symbols);
    runnel::schema::Slot row[5];
    if (readings.Decode(message, row) == runnel::wire::ReadingDecoder::Outcome::kOk &&
        (!KnownSymbol(row[0].i64, symbols) ||
         static_cast<uint64_t>(row[3].i64) > 1)) {
      __builtin_trap();
    }
    return 0;
  }
  if (message.kind != runnel::wire::MessageKind::kBatch) return 0;
  runnel::schema::RowBatch out(schema.size(), kOutRows);
  for (uint32_t first = 0; first < message.row_count; first += kOutRows) {
    out.Clear();
    uint32_t count = message.row_count - first < kOutRows ? message.row_count - first : kOutRows;
    decoder.CopyRows(message, first, count, &out);
    for (uint32_t r = 0; r < out.size(); ++r) {
      if (!KnownSymbol(out.row(r)[0].i64, symbols)) __builtin_trap();
      if (static_cast<uint64_t>(out.row(r)[3].i64) > 1) __builtin_trap();
    }
  }
  return 0;
}
