// BatchEncoder and FrameDecoder allocate nothing per row or per batch once
// warmed up: 1,000 batches of 256 rows (sym, ts, f64, bool, i64) are
// encoded, decoded and copied out with every malloc counted, and the count
// must be zero.
//
// Its own binary: it replaces malloc/calloc/realloc/free (glibc's documented
// way, forwarding to __libc_*), as tests/core/ops/window_allocation_test.cc
// does. Under ASan/TSan, which own malloc, only the workload runs.
#include <stddef.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
#include "transports/wire/frame_decoder.h"

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
    return true;
  };
  for (int b = 0; b < 10; ++b) CHECK(round(b));  // warm-up: the builder grows
  counting = true;
  bool ok = true;
  for (int b = 10; b < 1010; ++b) ok = round(b) && ok;
  counting = false;
  CHECK(ok);
  UNSIGNED_LONGLONGS_EQUAL(1010ull * kRows, rows_out);
#if RUNNEL_COUNTS_ALLOCATIONS
  UNSIGNED_LONGLONGS_EQUAL(0, allocations.load());
#endif
}
