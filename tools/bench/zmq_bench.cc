// zmq_bench: Runnel's ZeroMQ link (ZmqSink -> ZmqSource) against plain
// ZeroMQ PUSH/PULL carrying the same rows, between two processes, over
// tcp://127.0.0.1 and ipc://.
//
//   bazel run -c opt //tools/bench:zmq_bench [-- ROWS [PARTS [RUNS]]]
//
// PARTS (default "tl"): t throughput, l latency (latency at 80% of max
// needs t). RUNS: runs per contender and link (default 5).
// Rows are 3 fields (device sym, ts ts, temp f64). Every measurement forks a
// receiver process and sends from the parent; the receiver times from its
// first row to its last and reports through a pipe.
//
// Throughput (ROWS rows, default 20,000,000; the median of 5 runs, raw and
// Runnel alternating: the VM moves raw ipc alone between 7 and 17 M rows/s):
//   raw     the parent sends one pre-encoded 64-row FlatBuffers batch (made
//           once, untimed, by Runnel's encoder: the same bytes Runnel sends)
//           ROWS/64 times as a two-frame message (channel, batch); the child
//           receives them with zmq_msg_recv and counts 64 rows per batch.
//   runnel  the parent writes 1,024-row batches to a ZmqSink (batch_rows 64,
//           the graph default high-water mark) and closes it; the child reads
//           a ZmqSource (verifying, decoding and interning every batch) into
//           a counting loop until the sink's closing heartbeat.
// One-way latency (p50/p99 of the rows of RUNS runs pooled and the median of
// the runs' own p99s, each 5 s of rows
// after 1 s of warm-up, raw and Runnel alternating, as a VM's scheduling
// noise moves a single run's p99 by hundreds of microseconds; sender and
// receiver pinned to one CPU each), at 10,000 rows/s and at 80% of
// Runnel's measured throughput: the parent
// produces row i at start + i/rate (CLOCK_MONOTONIC, shared by both
// processes) and stamps it into `ts`; the child takes now - ts per row.
//   raw     sends the rows due, as soon as they are due, as one message of
//           24-byte structs (at most 64 rows): no encoding at all, the floor.
//   runnel  writes the rows due to a ZmqSink (batch_rows 64; max_latency_ms
//           as given by the sink's default) as one RowBatch.
// Each child checks it received every row (and, for Runnel, no gap and no
// rejected message); the program exits 1 otherwise.
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
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

constexpr uint32_t kBatchRows = 64;
constexpr int kDevices = 1000;
constexpr int kHighWaterMark = 1000;

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kNs},
                 {"temp", FieldType::kF64, TimeUnit::kMs}});
}

int64_t NowNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void SleepUntil(int64_t ns) {
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "zmq_bench: %s\n", what);
  std::exit(1);
}

// Latencies in buckets 1/16 of a power of two wide (about 4%), so the runs
// of one contender can be pooled.
struct Histogram {
  static constexpr int kBuckets = 64 * 16;
  uint32_t counts[kBuckets] = {};

  void Add(int64_t ns) {
    int bucket = static_cast<int>(std::log2(static_cast<double>(std::max<int64_t>(ns, 1))) * 16);
    ++counts[std::min(bucket, kBuckets - 1)];
  }
  void Merge(const Histogram& other) {
    for (int b = 0; b < kBuckets; ++b) counts[b] += other.counts[b];
  }
  // The middle of the bucket holding quantile q.
  int64_t Quantile(double q) const {
    uint64_t total = 0;
    for (uint32_t c : counts) total += c;
    uint64_t below = 0;
    for (int b = 0; b < kBuckets; ++b) {
      below += counts[b];
      if (below > q * total) return static_cast<int64_t>(std::exp2((b + 0.5) / 16));
    }
    return 0;
  }
};

// What a receiver reports to the parent.
struct Report {
  uint64_t rows = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  Histogram latencies;
  bool ok = false;
};

// Runs `receive` in a child process and `send` here; returns the child's
// report. The child binds `endpoint`; the parent waits `settle_ms` so it
// connects after the bind (a PUSH connecting first may lose messages).
// Pins the calling thread (and the threads it starts) to `cpu`, or lets
// it run anywhere again with cpu -1.
void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (cpu < 0 || c == cpu) CPU_SET(c, &set);
  }
  sched_setaffinity(0, sizeof(set), &set);
}

Report RunPair(const std::function<Report()>& receive, const std::function<void()>& send,
               bool pinned = false) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) Fail("pipe failed");
  pid_t child = fork();
  if (child < 0) Fail("fork failed");
  if (child == 0) {
    close(pipe_fds[0]);
    if (pinned) Pin(1);
    Report report = receive();
    const char* bytes = reinterpret_cast<const char*>(&report);
    for (size_t done = 0; done < sizeof(report);) {
      ssize_t n = write(pipe_fds[1], bytes + done, sizeof(report) - done);
      if (n <= 0) _exit(2);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  usleep(200 * 1000);
  if (pinned) Pin(0);
  send();
  if (pinned) Pin(-1);
  Report report;
  char* bytes = reinterpret_cast<char*>(&report);
  for (size_t done = 0; done < sizeof(report);) {
    ssize_t n = read(pipe_fds[0], bytes + done, sizeof(report) - done);
    if (n <= 0) Fail("receiver died");
    done += static_cast<size_t>(n);
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return report;
}

// Latency percentiles of `samples` (ns) into `report`, and its histogram.
void Percentiles(std::vector<int64_t>* samples, Report* report) {
  for (int64_t ns : *samples) report->latencies.Add(ns);
  if (samples->empty()) return;
  std::sort(samples->begin(), samples->end());
  report->p50_ns = (*samples)[samples->size() / 2];
  report->p99_ns = (*samples)[samples->size() * 99 / 100];
}

// Plain ZeroMQ: a PUSH and a PULL socket with the graph defaults.
struct RawSocket {
  void* context = zmq_ctx_new();
  void* socket;
  RawSocket(int type, const std::string& endpoint) {
    socket = zmq_socket(context, type);
    zmq_setsockopt(socket, type == ZMQ_PUSH ? ZMQ_SNDHWM : ZMQ_RCVHWM, &kHighWaterMark,
                   sizeof(kHighWaterMark));
    int rc = type == ZMQ_PULL ? zmq_bind(socket, endpoint.c_str())
                              : zmq_connect(socket, endpoint.c_str());
    if (rc != 0) Fail(zmq_strerror(zmq_errno()));
  }
  ~RawSocket() {
    int linger = -1;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(socket);
    zmq_ctx_term(context);
  }
  void Send(const void* data, size_t size) {
    zmq_send(socket, "readings", 8, ZMQ_SNDMORE);
    zmq_send(socket, data, size, 0);
  }
  // Receives one two-frame message into `msg` (the second frame); false at
  // the end marker (an empty second frame).
  bool Receive(zmq_msg_t* msg) {
    zmq_msg_recv(msg, socket, 0);  // channel
    zmq_msg_recv(msg, socket, 0);
    return zmq_msg_size(msg) > 0;
  }
  void SendEnd() { Send("", 0); }
};

// --- throughput -------------------------------------------------------

Report RawReceiveBatches(const std::string& endpoint, uint64_t rows) {
  RawSocket pull(ZMQ_PULL, endpoint);
  Report report;
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  while (pull.Receive(&msg)) {
    if (report.rows == 0) report.first_ns = NowNanos();
    report.rows += kBatchRows;
  }
  report.last_ns = NowNanos();
  zmq_msg_close(&msg);
  report.ok = report.rows == rows;
  return report;
}

void RawSendBatches(const std::string& endpoint, uint64_t rows, const std::string& batch) {
  RawSocket push(ZMQ_PUSH, endpoint);
  for (uint64_t sent = 0; sent < rows; sent += kBatchRows) push.Send(batch.data(), batch.size());
  push.SendEnd();
}

// One 64-row wire batch of readings, as Runnel's sink would encode it.
std::string EncodedBatch() {
  SymbolTable symbols(4096, 1 << 20);
  runnel::wire::BatchEncoder encoder(Readings(), &symbols, kBatchRows);
  RowBatch rows(3, kBatchRows);
  for (uint32_t i = 0; i < kBatchRows; ++i) {
    uint32_t id;
    symbols.Intern("dev-" + std::to_string(i * 7 % kDevices), &id);
    Slot* s = rows.Append();
    s[0].i64 = id;
    s[1].i64 = 1700000000000000000LL + i;
    s[2].f64 = 20 + i * 0.01;
  }
  runnel::wire::BatchHeader header;
  header.producer = 1;
  header.epoch = 1;
  header.sequence = 1;
  encoder.EncodeBatch(header, rows);
  return std::string(reinterpret_cast<const char*>(encoder.data()), encoder.size());
}

runnel::zmq::ZmqSourceOptions SourceOptions(const std::string& endpoint) {
  runnel::zmq::ZmqSourceOptions o;
  o.name = "in";
  o.bind = {endpoint};
  o.end_after_producers = 1;
  o.high_water_mark = kHighWaterMark;
  return o;
}

runnel::zmq::ZmqSinkOptions SinkOptions(const std::string& endpoint) {
  runnel::zmq::ZmqSinkOptions o;
  o.name = "out";
  o.connect = {endpoint};
  o.channel = "readings";
  o.batch_rows = kBatchRows;
  o.high_water_mark = kHighWaterMark;
  o.linger_ms = 60000;
  return o;
}

// Reads a ZmqSource until the producer closes; `on_batch` sees each batch.
Report RunnelReceive(const std::string& endpoint,
                     const std::function<void(const RowBatch&, int64_t now)>& on_batch) {
  SymbolTable symbols(4096, 1 << 20);
  runnel::zmq::ZmqSource source(SourceOptions(endpoint), Readings(), &symbols,
                                SystemClock::Get());
  if (!source.Open().ok()) Fail("source did not open");
  RowBatch batch(3, 1024);
  Report report;
  for (bool done = false; !done;) {
    batch.Clear();
    if (!source.Read(&batch, &done).ok()) Fail("source read failed");
    if (batch.empty()) continue;
    int64_t now = NowNanos();
    if (report.rows == 0) report.first_ns = now;
    report.last_ns = now;
    report.rows += batch.size();
    on_batch(batch, now);
  }
  report.ok = source.rejected() == 0 && source.gaps() == 0 && source.duplicates() == 0;
  return report;
}

// Rows for the Runnel senders: device ids interned in the sink's table.
struct RowSource {
  SymbolTable symbols{4096, 1 << 20};
  std::vector<uint32_t> devices;
  RowSource() {
    for (int d = 0; d < kDevices; ++d) {
      uint32_t id;
      symbols.Intern("dev-" + std::to_string(d), &id);
      devices.push_back(id);
    }
  }
  void Fill(RowBatch* batch, uint64_t first, uint32_t count, int64_t ts) const {
    for (uint32_t i = 0; i < count; ++i) {
      Slot* s = batch->Append();
      s[0].i64 = devices[(first + i) * 7 % kDevices];
      s[1].i64 = ts;
      s[2].f64 = 20 + (first + i) % 100 * 0.01;
    }
  }
};

void RunnelSend(const std::string& endpoint, uint64_t rows) {
  RowSource source;
  runnel::zmq::ZmqSink sink(SinkOptions(endpoint), Readings(), &source.symbols,
                            SystemClock::Get());
  if (!sink.Open().ok()) Fail("sink did not open");
  RowBatch batch(3, 1024);
  for (uint64_t sent = 0; sent < rows; sent += batch.size()) {
    batch.Clear();
    source.Fill(&batch, sent, static_cast<uint32_t>(std::min<uint64_t>(1024, rows - sent)), 0);
    if (!sink.Write(batch).ok()) Fail("sink write failed");
  }
  if (!sink.Close().ok()) Fail("sink close failed");
}

double RowsPerSecond(const Report& r) {
  return r.last_ns > r.first_ns ? r.rows * 1e9 / (r.last_ns - r.first_ns) : 0;
}

// Runs per contender and link (and rate, for latency) unless RUNS says
// otherwise, raw and Runnel alternating so both see the same noise; medians
// are reported.
constexpr int kDefaultRuns = 5;

template <typename T>
T Median(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One run of one contender, in rows/s.
double Throughput(const std::function<Report()>& receive, const std::function<void()>& send,
                  uint64_t rows, const char* name) {
  Report report = RunPair(receive, send);
  if (!report.ok || report.rows != rows) {
    std::fprintf(stderr, "zmq_bench: %s received %" PRIu64 " of %" PRIu64 " rows\n", name,
                 report.rows, rows);
    std::exit(1);
  }
  return RowsPerSecond(report);
}

// --- latency ------------------------------------------------------------

constexpr int64_t kWarmUpNs = 1000000000;
constexpr int64_t kMeasureNs = 5000000000;

// Row i is due at start + i * 1e9 / rate; calls `send(first, count, due)`
// with the rows due now, then sleeps until the next is due.
void Pace(double rate, const std::function<void(uint64_t, uint32_t, int64_t)>& send) {
  const uint64_t rows = static_cast<uint64_t>(rate * (kWarmUpNs + kMeasureNs) / 1e9);
  const int64_t start = NowNanos();
  auto due = [&](uint64_t i) { return start + static_cast<int64_t>(i * 1e9 / rate); };
  for (uint64_t next = 0; next < rows;) {
    int64_t now = NowNanos();
    uint32_t count = 0;
    while (next + count < rows && count < kBatchRows && due(next + count) <= now) ++count;
    if (count == 0) {
      SleepUntil(due(next));
      continue;
    }
    send(next, count, due(next + count - 1));
    next += count;
  }
}

struct RawRow {
  int64_t device;
  int64_t ts;
  double temp;
};

Report RawReceiveLatency(const std::string& endpoint, uint64_t expected) {
  RawSocket pull(ZMQ_PULL, endpoint);
  std::vector<int64_t> samples;
  samples.reserve(expected);
  Report report;
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  int64_t measure_from = 0;
  while (pull.Receive(&msg)) {
    int64_t now = NowNanos();
    const RawRow* rows = static_cast<const RawRow*>(zmq_msg_data(&msg));
    size_t count = zmq_msg_size(&msg) / sizeof(RawRow);
    if (report.rows == 0) measure_from = rows[0].ts + kWarmUpNs;
    for (size_t i = 0; i < count; ++i) {
      if (rows[i].ts >= measure_from) samples.push_back(now - rows[i].ts);
    }
    report.rows += count;
  }
  zmq_msg_close(&msg);
  Percentiles(&samples, &report);
  report.ok = report.rows == expected;
  return report;
}

void RawSendPaced(const std::string& endpoint, double rate) {
  RawSocket push(ZMQ_PUSH, endpoint);
  RawRow rows[kBatchRows];
  Pace(rate, [&](uint64_t first, uint32_t count, int64_t) {
    int64_t now = NowNanos();
    for (uint32_t i = 0; i < count; ++i) rows[i] = {int64_t(first + i) % kDevices, now, 20.0};
    push.Send(rows, count * sizeof(RawRow));
  });
  push.SendEnd();
}

Report RunnelReceiveLatency(const std::string& endpoint, uint64_t expected) {
  std::vector<int64_t> samples;
  samples.reserve(expected);
  int64_t measure_from = INT64_MIN;
  Report report = RunnelReceive(endpoint, [&](const RowBatch& batch, int64_t now) {
    if (measure_from == INT64_MIN) measure_from = batch.row(0)[1].i64 + kWarmUpNs;
    for (uint32_t r = 0; r < batch.size(); ++r) {
      int64_t ts = batch.row(r)[1].i64;
      if (ts >= measure_from) samples.push_back(now - ts);
    }
  });
  Percentiles(&samples, &report);
  report.ok = report.ok && report.rows == expected;
  return report;
}

void RunnelSendPaced(const std::string& endpoint, double rate) {
  RowSource source;
  runnel::zmq::ZmqSink sink(SinkOptions(endpoint), Readings(), &source.symbols,
                            SystemClock::Get());
  if (!sink.Open().ok()) Fail("sink did not open");
  RowBatch batch(3, kBatchRows);
  Pace(rate, [&](uint64_t first, uint32_t count, int64_t) {
    batch.Clear();
    source.Fill(&batch, first, count, NowNanos());
    if (!sink.Write(batch).ok()) Fail("sink write failed");
  });
  if (!sink.Close().ok()) Fail("sink close failed");
}

Report Latency(const std::function<Report()>& receive, const std::function<void()>& send,
               const char* name) {
  Report report = RunPair(receive, send, true);
  if (!report.ok) {
    std::fprintf(stderr, "zmq_bench: %s lost rows (%" PRIu64 " received)\n", name, report.rows);
    std::exit(1);
  }
  return report;
}

// p50 and p99 of all runs' rows together (to the histogram's 4%), the
// median of the runs' own p99s (a run in which the VM stalls a side for a
// millisecond moves the pooled p99 but not this), then each run's p99.
void PrintLatency(const char* link, const char* sender, double rate,
                  const std::vector<Report>& runs) {
  Histogram all;
  std::vector<int64_t> p99s;
  std::string each;
  for (const Report& r : runs) {
    all.Merge(r.latencies);
    p99s.push_back(r.p99_ns);
    each += (each.empty() ? "" : " ") + std::to_string((r.p99_ns + 500) / 1000);
  }
  std::printf("%-4s %-7s %12.0f %10.1f %10.1f %10.1f   %s\n", link, sender, rate,
              all.Quantile(0.5) / 1e3, all.Quantile(0.99) / 1e3, Median(p99s) / 1e3,
              each.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) / kBatchRows * kBatchRows
                                 : 20000000;
  const std::string parts = argc > 2 ? argv[2] : "tl";
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : kDefaultRuns;
  const std::string batch = EncodedBatch();
  char ipc_dir[] = "/tmp/runnel-zmq-bench.XXXXXX";
  if (mkdtemp(ipc_dir) == nullptr) Fail("mkdtemp failed");
  std::printf("rows: %" PRIu64 " (3 fields), batches of %u rows (%zu bytes encoded)\n\n", rows,
              kBatchRows, batch.size());

  struct Transport {
    const char* name;
    std::string endpoint;
  };
  std::vector<Transport> transports = {{"tcp", "tcp://127.0.0.1:5591"},
                                       {"ipc", std::string("ipc://") + ipc_dir + "/link"}};
  std::printf("%-4s %-7s %12s %10s   %s\n", "link", "sender", "M rows/s", "vs raw",
              "each run");
  double runnel_max = 0;
  for (const Transport& t : transports) {
    if (parts.find('t') == std::string::npos) break;
    std::vector<double> raw, runnel;
    std::string raw_each, runnel_each;
    for (int run = 0; run < runs; ++run) {
      raw.push_back(Throughput([&] { return RawReceiveBatches(t.endpoint, rows); },
                               [&] { RawSendBatches(t.endpoint, rows, batch); }, rows, "raw"));
      runnel.push_back(Throughput(
          [&] { return RunnelReceive(t.endpoint, [](const RowBatch&, int64_t) {}); },
          [&] { RunnelSend(t.endpoint, rows); }, rows, "runnel"));
      char each[32];
      std::snprintf(each, sizeof(each), "%s%.2f", run ? " " : "", raw.back() / 1e6);
      raw_each += each;
      std::snprintf(each, sizeof(each), "%s%.2f", run ? " " : "", runnel.back() / 1e6);
      runnel_each += each;
    }
    std::printf("%-4s %-7s %12.2f %10s   %s\n", t.name, "raw", Median(raw) / 1e6, "",
                raw_each.c_str());
    std::printf("%-4s %-7s %12.2f %9.2fx   %s\n", t.name, "runnel", Median(runnel) / 1e6,
                Median(runnel) / Median(raw), runnel_each.c_str());
    if (t.name == std::string("tcp")) runnel_max = Median(runnel);
  }

  std::printf("\n%-4s %-7s %12s %10s %10s %10s   %s\n", "link", "sender", "rows/s", "p50 us",
              "p99 us", "med p99", "p99 of each run (us)");
  for (const Transport& t : transports) {
    if (parts.find('l') == std::string::npos) break;
    for (double rate : {10000.0, 0.8 * runnel_max}) {
      if (rate == 0) continue;
      uint64_t expected = static_cast<uint64_t>(rate * (kWarmUpNs + kMeasureNs) / 1e9);
      // Runs alternate between the contenders, so both see the same noise.
      std::vector<Report> raw, runnel;
      for (int run = 0; run < runs; ++run) {
        raw.push_back(Latency([&] { return RawReceiveLatency(t.endpoint, expected); },
                              [&] { RawSendPaced(t.endpoint, rate); }, "raw"));
        runnel.push_back(Latency([&] { return RunnelReceiveLatency(t.endpoint, expected); },
                                 [&] { RunnelSendPaced(t.endpoint, rate); }, "runnel"));
      }
      PrintLatency(t.name, "raw", rate, raw);
      PrintLatency(t.name, "runnel", rate, runnel);
    }
  }
  rmdir(ipc_dir);
  return 0;
}
