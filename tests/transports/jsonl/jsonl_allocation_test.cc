// JsonlDecoder does not allocate after construction: good lines, every kind
// of rejected line, long lines and new symbols, decoded with every malloc
// counted, and the count must be zero.
//
// Allocations are counted by //tests/testing:allocation_counter (its own
// binary: the counter replaces malloc).
#include <cstdint>
#include <string>
#include <vector>

#include "tests/testing/allocation_counter.h"
#include "transports/jsonl/jsonl_decoder.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::jsonl::JsonlDecoder;
using runnel::schema::FieldType;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

TEST_GROUP(JsonlAllocation){};

TEST(JsonlAllocation, DecodeNeverAllocates) {
  SymbolTable symbols(4096, 1 << 16);
  JsonlDecoder decoder(Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                               {"ts", FieldType::kTs, TimeUnit::kMs},
                               {"temp", FieldType::kF64, TimeUnit::kMs},
                               {"n", FieldType::kI64, TimeUnit::kMs},
                               {"ok", FieldType::kBool, TimeUnit::kMs}}),
                       &symbols, 1 << 14);
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back("{\"device\":\"dev-" + std::to_string(i) + "\",\"ts\":" +
                    std::to_string(1700000000000LL + i) + ",\"temp\":" +
                    std::to_string(i * 0.25) + ",\"n\":" + std::to_string(i) +
                    ",\"ok\":true,\"extra\":{\"a\":[1,2e-3,{\"b\":\"\\u00e9\\ud83d\\ude00]\"}]}}"
                    "\r");
  }
  // Escaped keys and values, a double too small for a double, INT64_MIN.
  lines.push_back(R"({"d\u0065vice":"\u00e9\ud83d\ude00","ts":1,"temp":1e-999,)"
                  R"("n":-9223372036854775808,"ok":false})");
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":\"hot\",\"n\":1,\"ok\":true}");
  lines.push_back("{\"device\":\"x\",\"ts\":1}");
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":1,\"n\":1,\"ok\":true");
  lines.push_back("not json at all");
  lines.push_back("{\"device\":\"bad \\q\",\"ts\":1,\"temp\":1,\"n\":1,\"ok\":true}");
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":1e999,\"n\":1,\"ok\":true}");
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":1,\"n\":99999999999999999999,\"ok\":true}");
  lines.push_back("{\"x\":" + std::string(2000, '[') + std::string(2000, ']') + "}");
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":1,\"n\":1,\"ok\":true} trailing");
  lines.push_back("");
  lines.push_back(std::string(1 << 15, ' '));
  lines.push_back("{\"note\":\"" + std::string(10000, 'z') +
                  "\",\"device\":\"x\",\"ts\":1,\"temp\":1,\"n\":1,\"ok\":false}");
  Slot row[5];
  uint64_t ok = 0;
  runnel::testing::StartCountingAllocations();
  for (int round = 0; round < 3; ++round) {
    for (const std::string& line : lines) {
      ok += decoder.Decode(line, row) == JsonlDecoder::Outcome::kOk;
    }
  }
  const uint64_t allocations = runnel::testing::StopCountingAllocations();
  LONGS_EQUAL(3 * 1002, ok);
  LONGS_EQUAL(0, allocations);
}
