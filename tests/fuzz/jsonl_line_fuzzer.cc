// libFuzzer target for the JSON-lines decoder: the bytes are what a `jsonl`
// source (a file, standard input, or a zmq source with format jsonl) reads
// from a sensor, split into lines as it splits them. Each line is decoded
// against a schema with every field type, twice (the second decode must
// agree: nothing carries over between lines). A line that decodes must give
// a row a task can use: sym ids the table knows (or null), bools 0 or 1; a
// line that does not must say why. Anything else (a crash, a sanitizer
// report, a failed check) is a finding.
//
// Built two ways (tests/fuzz/BUILD): with clang's -fsanitize=fuzzer
// (tools/fuzz jsonl_line), and with the normal toolchain into a CppUTest
// suite that replays tests/fuzz/jsonl/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/schema/null.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/jsonl/jsonl_decoder.h"

namespace {

using runnel::jsonl::JsonlDecoder;
using runnel::schema::FieldType;
using runnel::schema::TimeUnit;

runnel::schema::Schema FuzzSchema() {
  return runnel::schema::Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                                 {"ts", FieldType::kTs, TimeUnit::kS},
                                 {"temp", FieldType::kF64, TimeUnit::kMs},
                                 {"ok", FieldType::kBool, TimeUnit::kMs},
                                 {"count", FieldType::kI64, TimeUnit::kMs}});
}

// Small, so that the fuzzer reaches the line-length and table limits too.
constexpr size_t kMaxLineBytes = 512;
constexpr int kEventTimeField = 1;

void Check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const runnel::schema::Schema schema = FuzzSchema();
  runnel::schema::SymbolTable symbols(16, 256);  // fresh per input
  JsonlDecoder decoder(schema, &symbols, kMaxLineBytes, kEventTimeField);
  runnel::schema::Slot row[5];
  runnel::schema::Slot again[5];
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);

    const JsonlDecoder::Outcome first = decoder.Decode(line, row);
    const JsonlDecoder::Outcome second = decoder.Decode(line, again);
    Check(first == second);
    if (first != JsonlDecoder::Outcome::kOk) {
      Check(decoder.error()[0] != '\0');
      continue;
    }
    Check(std::memcmp(row, again, sizeof(row)) == 0);
    Check(row[0].i64 == runnel::schema::kNullInt ||
          static_cast<uint64_t>(row[0].i64) < symbols.size());
    Check(row[1].i64 != runnel::schema::kNullInt);  // the event time is never null
    Check(row[3].i64 == 0 || row[3].i64 == 1);
  }
  return 0;
}
