// spill_bench: an exactly-once ZmqSink riding out a receiver outage on its
// replay spill (docs/WIRE.md, Spilling to disk), on this machine's disk.
//
//   bazel run -c opt //tools/bench:spill_bench [-- ROWS [DIR]]
//
// Outage: no receiver listens. ROWS rows (default 10,000,000; device sym,
// ts ts, temp f64; 64-row batches, as zmq_bench sends them) are written to
// the sink (replay buffer 16 MiB, spill in DIR, default
// /tmp/runnel-spill-bench, budget 8 GiB) as fast as it takes them: every
// batch goes to the spill once the buffer is full, each move synced. Prints
// rows/s and MB/s of batch records into the spill, bytes per row, and the
// directory's size on disk.
// Recovery: a receiver (a ZmqSource with exactly_once in a thread, its
// positions saved and acknowledged every 100 ms as a checkpointing job's
// would be) comes up; the sink sends the spilled batches in order and
// forgets them as the Acks come. Prints the time until every row is
// delivered and acknowledged and the spill is empty; exits 1 if a row is
// missing or the spill is not empty.
#include <sys/stat.h>
#include <zmq.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/state_buffer.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/zmq/zmq_sink.h"
#include "transports/zmq/zmq_source.h"

namespace {

using runnel::SystemClock;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

constexpr int kDevices = 1000;
constexpr char kData[] = "tcp://127.0.0.1:47311";
constexpr char kBack[] = "tcp://127.0.0.1:47312";

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kNs},
                 {"temp", FieldType::kF64, TimeUnit::kMs}});
}

double Seconds(int64_t since_ms) {
  return static_cast<double>(SystemClock::Get()->NowMillis() - since_ms) / 1000.0;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "spill_bench: %s\n", what.c_str());
  std::exit(1);
}

uint64_t DiskBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    struct stat st;
    if (stat(entry.path().c_str(), &st) == 0) bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return bytes;
}

// The receiver: reads until it has `rows` rows, saving its positions and
// acknowledging them every 100 ms; then keeps acknowledging until `stop`.
void Receive(uint64_t rows, std::atomic<uint64_t>* received, const std::atomic<bool>* stop) {
  SymbolTable symbols(4096, 1 << 20);
  runnel::zmq::ZmqSourceOptions o;
  o.name = "in";
  o.bind = {kData};
  o.exactly_once = true;
  o.back_bind = {kBack};
  runnel::zmq::ZmqSource source(o, Readings(), &symbols, SystemClock::Get());
  if (!source.Open().ok()) Fail("the receiver did not open");
  RowBatch batch(3, 1024);
  runnel::runtime::StateBuffer positions(source.checkpoint_bytes());
  uint64_t checkpoint = 0;
  int64_t next_checkpoint = 0;
  while (!stop->load()) {
    batch.Clear();
    bool ended = false;
    if (!source.Read(&batch, &ended).ok()) Fail("the receiver failed");
    if (received->load() + batch.size() > rows) Fail("the receiver got more rows than sent");
    received->fetch_add(batch.size());
    const int64_t now = SystemClock::Get()->NowMillis();
    if (now >= next_checkpoint) {
      positions.Clear();
      if (!source.SavePosition(&positions)) Fail("positions did not fit");
      source.CheckpointCompleted(++checkpoint);
      next_checkpoint = now + 100;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp/runnel-spill-bench";
  std::error_code error;
  std::filesystem::remove_all(dir, error);

  SymbolTable symbols(4096, 1 << 20);
  std::vector<uint32_t> devices;
  for (int d = 0; d < kDevices; ++d) {
    uint32_t id;
    symbols.Intern("dev-" + std::to_string(d), &id);
    devices.push_back(id);
  }
  runnel::zmq::ZmqSinkOptions o;
  o.name = "out";
  o.connect = {kData};
  o.channel = "readings";
  o.producer_name = "spill-bench";
  o.batch_rows = 64;
  o.exactly_once = true;
  o.back_connect = {kBack};
  o.spill_dir = dir;
  o.spill_bytes = uint64_t{8} << 30;
  o.linger_ms = 0;
  runnel::zmq::ZmqSink sink(o, Readings(), &symbols, SystemClock::Get());
  if (!sink.Open().ok()) Fail("the sink did not open");

  // The outage.
  RowBatch batch(3, 1024);
  const int64_t start = SystemClock::Get()->NowMillis();
  for (uint64_t sent = 0; sent < rows; sent += batch.size()) {
    batch.Clear();
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(1024, rows - sent));
    for (uint32_t i = 0; i < n; ++i) {
      Slot* s = batch.Append();
      s[0].i64 = devices[(sent + i) * 7 % kDevices];
      s[1].i64 = static_cast<int64_t>(sent + i) * 1000000;
      s[2].f64 = 20 + static_cast<double>((sent + i) % 100) * 0.01;
    }
    if (!sink.Write(batch).ok()) Fail("the sink failed to keep rows");
  }
  const double outage_s = Seconds(start);
  const runnel::zmq::ReplaySpill* spill = sink.spill();
  const double spilled_mb = static_cast<double>(spill->bytes()) / 1e6;
  const uint64_t spilled_rows = spill->last_row() - spill->first_row() + 1;
  std::printf("outage: %" PRIu64 " rows kept in %.2f s: %.2f M rows/s; spill %" PRIu64
              " batches, %" PRIu64 " rows, %.1f MB of records (%.1f bytes/row) at %.1f MB/s, "
              "%.1f MB on disk\n",
              rows, outage_s, static_cast<double>(rows) / outage_s / 1e6, spill->entries(),
              spilled_rows, spilled_mb, spilled_mb * 1e6 / static_cast<double>(spilled_rows),
              spilled_mb / outage_s, static_cast<double>(DiskBytes(dir)) / 1e6);

  // The receiver comes back.
  std::atomic<uint64_t> received{0};
  std::atomic<bool> stop{false};
  const int64_t back = SystemClock::Get()->NowMillis();
  std::thread receiver(Receive, rows, &received, &stop);
  while (sink.unacknowledged_rows() > 0 && Seconds(back) < 600) {
    const int64_t now = SystemClock::Get()->NowMillis();
    if (sink.next_processing_time_ms() <= now && !sink.OnProcessingTime(now).ok()) {
      Fail("the sink failed while sending its spill");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double drain_s = Seconds(back);
  stop = true;
  receiver.join();
  std::printf("recovery: %" PRIu64 " rows delivered and acknowledged in %.2f s: %.2f M rows/s; "
              "spill left: %" PRIu64 " batches\n",
              received.load(), drain_s, static_cast<double>(rows) / drain_s / 1e6,
              spill->entries());
  if (received.load() != rows || !spill->empty()) Fail("rows missing or left in the spill");
  std::filesystem::remove_all(dir, error);
  return 0;
}
