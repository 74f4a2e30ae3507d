// JsonlDecoder does not allocate after construction: good lines, every kind
// of rejected line, long lines and new symbols, decoded with every malloc
// counted, and the count must be zero.
//
// Its own binary: it replaces malloc/calloc/realloc (glibc's documented way,
// forwarding to __libc_*), as tests/core/ops/window_allocation_test.cc does.
// Under ASan/TSan, which own malloc, only the workload runs.
#include <stddef.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "transports/jsonl/jsonl_decoder.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RUNNEL_COUNTS_ALLOCATIONS 0
#else
#define RUNNEL_COUNTS_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<uint64_t> allocations{0};
}  // namespace

#if RUNNEL_COUNTS_ALLOCATIONS
namespace {
void Counted() {
  if (counting.load(std::memory_order_relaxed))
    allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void __libc_free(void* pointer);

void* malloc(size_t size) noexcept {
  Counted();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) noexcept {
  Counted();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, size_t size) noexcept {
  Counted();
  return __libc_realloc(pointer, size);
}
void free(void* pointer) noexcept { __libc_free(pointer); }
}  // extern "C"
#endif

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::jsonl::JsonlDecoder;
using runnel::schema::FieldType;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

// simdjson picks its implementation once per process, allocating; do that
// before CppUTest's per-test leak checks start.
const bool kSimdjsonReady = [] {
  SymbolTable symbols(1, 16);
  JsonlDecoder decoder(Schema(), &symbols, 64);
  Slot row[1];
  return decoder.Decode("{}", row) == JsonlDecoder::Outcome::kOk;
}();

}  // namespace

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
                    ",\"ok\":true,\"extra\":{\"a\":[1,2,{\"b\":\"\\u00e9\"}]}}\r");
  }
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":\"hot\",\"n\":1,\"ok\":true}");
  lines.push_back("{\"device\":\"x\",\"ts\":1}");
  lines.push_back("{\"device\":\"x\",\"ts\":1,\"temp\":1,\"n\":1,\"ok\":true");
  lines.push_back("not json at all");
  lines.push_back("");
  lines.push_back(std::string(1 << 15, ' '));
  lines.push_back("{\"note\":\"" + std::string(10000, 'z') +
                  "\",\"device\":\"x\",\"ts\":1,\"temp\":1,\"n\":1,\"ok\":false}");
  Slot row[5];
  uint64_t ok = 0;
  counting = true;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& line : lines) {
      ok += decoder.Decode(line, row) == JsonlDecoder::Outcome::kOk;
    }
  }
  counting = false;
  LONGS_EQUAL(3 * 1001, ok);
  CHECK(kSimdjsonReady);
  LONGS_EQUAL(0, allocations.load());
}
