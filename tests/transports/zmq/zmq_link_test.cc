// ZmqSink and ZmqSource over real ZeroMQ sockets on tcp://127.0.0.1 (no
// mocks): every row arrives in order; 10k bad frames interleaved with valid
// batches are dropped, counted and written to the dead-letter file while
// every valid row arrives; gaps and duplicates are detected; SUB channel
// filters; batch watermarks reach the source's output; an idle sink sends
// late rows at their deadline and heartbeats; a PUSH sink without a peer
// reports undelivered rows, and a Write blocked on that missing peer ends
// when the job stops or cancels.
#include <zmq.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/job_signals.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/zmq/dead_letters.h"
#include "tests/transports/zmq/free_port.h"
#include "tests/transports/zmq/link_fixture.h"
#include "transports/wire/batch_encoder.h"
#include "transports/wire/wire_generated.h"
#include "transports/zmq/zmq_sink.h"
#include "transports/zmq/zmq_source.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

using namespace runnel;
using namespace runnel::schema;
using runnel::zmq::ZmqSink;
using runnel::zmq::ZmqSinkOptions;
using runnel::zmq::ZmqSource;
using runnel::zmq::ZmqSourceOptions;
using runnel::testing::Encoder;
using runnel::testing::Endpoint;
using runnel::testing::MakeRow;
using runnel::testing::RawSender;
using runnel::testing::ReadAll;
using runnel::testing::Readings;
using runnel::testing::Row;

namespace {

// How late a timed duty may be, and how much longer waits may take:
// ThreadSanitizer builds run several times slower.
#if defined(__SANITIZE_THREAD__)
constexpr int64_t kSlackMs = 500;
constexpr int kSlowdown = 4;
#else
constexpr int64_t kSlackMs = 50;
constexpr int kSlowdown = 1;
#endif

ZmqSourceOptions PullOptions(int port) {
  ZmqSourceOptions o;
  o.name = "in";
  o.bind = {Endpoint(port)};
  o.end_after_producers = 1;
  o.log_every = 1000;
  return o;
}

}  // namespace

TEST_GROUP(ZmqLink) {
  // libzmq's threads allocate with operator new too.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
  Schema schema = Readings();
  SymbolTable sender_symbols{1024, 1 << 16};
  SymbolTable receiver_symbols{1024, 1 << 16};

  // Appends rows 0 .. count - 1 of device "dev" (ts and temp = i).
  void AppendDevRows(RowBatch* batch, int count) {
    uint32_t id;
    sender_symbols.Intern("dev", &id);
    for (int i = 0; i < count; ++i) {
      Slot* s = batch->Append();
      s[0].i64 = id;
      s[1].i64 = i;
      s[2].f64 = i;
    }
  }

  // Writes 100-row batches to a PUSH sink nobody connects to, so the first
  // Write blocks; then `interrupt` sets a job flag.
  // Returns Close's status once Write has returned.
  Status WriteUntilInterrupted(const std::function<void(runtime::JobSignals*)>& interrupt) {
    int port = testing::FreePort();
    ZmqSinkOptions o;
    o.name = "out";
    o.bind = {Endpoint(port)};
    o.channel = "readings";
    o.batch_rows = 100;
    o.linger_ms = 200;
    o.peer_timeout_ms = 100;
    runtime::JobSignals signals;
    ZmqSink sink(o, schema, &sender_symbols, SystemClock::Get());
    sink.WatchSignals(&signals);
    CHECK(sink.Open().ok());
    RowBatch batch(3, 100);
    AppendDevRows(&batch, 100);
    std::atomic<bool> written{false};
    std::thread writer([&] {
      for (int i = 0; i < 50; ++i) CHECK(sink.Write(batch).ok());
      written = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK_FALSE_TEXT(written.load(), "Write should wait while no peer takes batches");
    interrupt(&signals);
    for (int i = 0; i < 1000 && !written; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bool returned = written.load();
    if (!returned) signals.cancel = true;  // let the writer end before failing
    writer.join();
    CHECK_TEXT(returned, "Write still blocked 10 s after the job was told to end");
    return sink.Close();
  }
};

TEST(ZmqLink, EveryRowArrivesInOrderOverTcp) {
  int port = testing::FreePort();
  ZmqSource source(PullOptions(port), schema, &receiver_symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  ZmqSinkOptions o;
  o.name = "out";
  o.connect = {Endpoint(port)};
  o.channel = "readings";
  o.batch_rows = 300;  // frames do not line up with the writes or reads
  ZmqSink sink(o, schema, &sender_symbols, SystemClock::Get());
  CHECK(sink.Open().ok());

  const int kRows = 10000;
  std::vector<Row> expected;
  std::thread writer([&] {
    RowBatch batch(4, 128);  // a hidden fourth slot, as event-time streams have
    for (int i = 0; i < kRows;) {
      batch.Clear();
      for (; i < kRows && !batch.full(); ++i) {
        Row r = MakeRow(i);
        Slot* s = batch.Append();
        uint32_t id;
        sender_symbols.Intern(r.device, &id);
        s[0].i64 = id;
        s[1].i64 = r.ts;
        s[2].f64 = r.temp;
        s[3].i64 = 123;
      }
      if (!sink.Write(batch).ok()) return;
    }
    (void)sink.Close();
  });
  for (int i = 0; i < kRows; ++i) expected.push_back(MakeRow(i));
  std::vector<Row> rows = ReadAll(&source, receiver_symbols, 20000);
  writer.join();
  LONGS_EQUAL(kRows, rows.size());
  CHECK(rows == expected);
  UNSIGNED_LONGLONGS_EQUAL(0, source.rejected());
  UNSIGNED_LONGLONGS_EQUAL(0, source.gaps());
  CHECK(sink.batches_sent() >= kRows / 300);
}

TEST(ZmqLink, BadFramesAreDroppedAndValidRowsAllArrive) {
  int port = testing::FreePort();
  testing::TempDir dir;
  ZmqSourceOptions o = PullOptions(port);
  o.dead_letter = dir.File("dead.rnld");
  ZmqSource source(o, schema, &receiver_symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  const int kBad = kSlowdown == 1 ? 10000 : 1000;  // each is logged and dead-lettered
  const int kEvery = 20;  // a valid batch after every 20 bad frames
  const uint32_t kBatchRows = 17;
  uint64_t batches = 0;
  std::thread sender([&] {
    RawSender raw(ZMQ_PUSH, Endpoint(port));
    Encoder enc;
    // Another schema: its batches have another fingerprint.
    SymbolTable other_symbols(16, 1024);
    Schema other({{"device", FieldType::kSym, TimeUnit::kMs}, {"n", FieldType::kI64, TimeUnit::kMs}});
    wire::BatchEncoder other_encoder(other, &other_symbols, 4);
    RowBatch other_rows(2, 4);
    other_encoder.EncodeBatch(wire::BatchHeader(), other_rows);
    std::string foreign(reinterpret_cast<const char*>(other_encoder.data()),
                        other_encoder.size());
    std::mt19937 random(7);
    for (int b = 0; b < kBad; ++b) {
      std::string good = enc.Batch(batches + 1, 0, kBatchRows);  // a template to truncate
      switch (b % 7) {
        case 0: {  // random bytes
          std::string junk(random() % 300, '\0');
          for (char& c : junk) c = static_cast<char>(random());
          raw.Send({"readings", junk});
          break;
        }
        case 1:  // truncated
          raw.Send({"readings", good.substr(0, 8 + random() % (good.size() - 8))});
          break;
        case 2:  // no channel frame
          raw.Send({good});
          break;
        case 3:  // three frames
          raw.Send({"readings", good, "extra"});
          break;
        case 4:  // empty channel
          raw.Send({"", good});
          break;
        case 5:  // another schema
          raw.Send({"readings", foreign});
          break;
        default: {  // identifier broken
          std::string broken = good;
          broken[5] = 'X';
          raw.Send({"readings", broken});
          break;
        }
      }
      if (b % kEvery == kEvery - 1) {
        raw.Send({"readings", enc.Batch(batches + 1, batches * kBatchRows, kBatchRows)});
        ++batches;
      }
    }
    raw.Send({"readings", enc.Closing(batches)});
  });
  std::vector<Row> rows = ReadAll(&source, receiver_symbols, 60000 * kSlowdown);
  sender.join();
  UNSIGNED_LONGLONGS_EQUAL(kBad / kEvery, batches);
  LONGS_EQUAL(batches * kBatchRows, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) CHECK(rows[i] == MakeRow(static_cast<int64_t>(i)));
  UNSIGNED_LONGLONGS_EQUAL(kBad, source.rejected());
  UNSIGNED_LONGLONGS_EQUAL(0, source.gaps());
  // Every dropped frame is in the dead-letter file, in order, with its reason.
  UNSIGNED_LONGLONGS_EQUAL(kBad, source.dead_letters());
  UNSIGNED_LONGLONGS_EQUAL(0, source.dead_letters_not_written());
  bool whole = false;
  std::vector<testing::DeadLetter> dead = testing::ReadDeadLetters(o.dead_letter, &whole);
  CHECK(whole);
  LONGS_EQUAL(kBad, dead.size());
  const char* reasons[7] = {"not a Runnel envelope",  // (or fails verification)
                            "", "single-frame message", "more than two frames",
                            "channel frame of 0 bytes", "schema fingerprint",
                            "no RNLW identifier"};
  for (int b = 0; b < kBad; ++b) {
    if (b % 7 == 0 || b % 7 == 1) {
      CHECK_TEXT(!dead[b].reason.empty(), dead[b].reason.c_str());
    } else {
      STRCMP_CONTAINS(reasons[b % 7], dead[b].reason.c_str());
    }
    CHECK(dead[b].frame.size() == dead[b].frame_size);
  }
  STRCMP_EQUAL("readings", dead[5].channel.c_str());
  STRCMP_EQUAL("", dead[2].channel.c_str());  // a single frame: kept as the frame
}

TEST(ZmqLink, GapsAndDuplicatesAreDetected) {
  int port = testing::FreePort();
  ZmqSourceOptions o = PullOptions(port);
  o.event_time_field = 1;  // ts
  ZmqSource source(o, schema, &receiver_symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  {
    RawSender raw(ZMQ_PUSH, Endpoint(port));
    Encoder enc;
    raw.Send({"readings", enc.Batch(1, 0, 3, 100)});
    raw.Send({"readings", enc.Batch(2, 3, 3, 200)});
    raw.Send({"readings", enc.Batch(4, 9, 3, 400)});  // 3 lost
    raw.Send({"readings", enc.Batch(4, 9, 3, 400)});  // duplicate
    raw.Send({"readings", enc.Batch(5, 12, 3, 500)});
    raw.Send({"readings", enc.Closing(5)});
  }
  int64_t watermark = INT64_MIN;
  std::vector<Row> rows = ReadAll(&source, receiver_symbols, 10000, &watermark);
  LONGS_EQUAL(12, rows.size());
  CHECK(rows[6] == MakeRow(9));
  UNSIGNED_LONGLONGS_EQUAL(1, source.gaps());
  UNSIGNED_LONGLONGS_EQUAL(1, source.lost_batches());
  UNSIGNED_LONGLONGS_EQUAL(1, source.duplicates());
  // The producers' watermarks reach the source's batches.
  CHECK(watermark >= 400);
}

TEST(ZmqLink, SubscriberTakesOnlyItsChannels) {
  int port = testing::FreePort();
  ZmqSourceOptions o = PullOptions(port);
  o.subscribe = true;
  o.channels = {"site-1/"};
  // The usual fan-out: the publisher binds, subscribers connect. (With
  // libzmq 4.3.4 here, a SUB that binds never got a connecting PUB's
  // messages in our trials, even in a plain C program.)
  o.connect = o.bind;
  o.bind.clear();
  ZmqSource source(o, schema, &receiver_symbols, SystemClock::Get());
  {
    RawSender raw(ZMQ_PUB, Endpoint(port), /*bind=*/true);
    CHECK(source.Open().ok());
    Encoder enc;
    // PUB drops until the subscription has travelled: resend a first batch
    // of another channel until the source could have seen it (none of it
    // must arrive anyway), then send the real data.
    struct timespec pause = {0, 300 * 1000000L};
    nanosleep(&pause, nullptr);
    raw.Send({"site-2/temp", enc.Batch(1, 100, 5)});
    raw.Send({"site-1/temp", enc.Batch(1, 0, 5)});
    raw.Send({"site-2/temp", enc.Batch(2, 105, 5)});
    raw.Send({"site-1/temp", enc.Batch(2, 5, 5)});
    raw.Send({"site-1/temp", enc.Closing(2)});
  }
  std::vector<Row> rows = ReadAll(&source, receiver_symbols, 10000);
  LONGS_EQUAL(10, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) CHECK(rows[i] == MakeRow(static_cast<int64_t>(i)));
  UNSIGNED_LONGLONGS_EQUAL(0, source.gaps());
}

TEST(ZmqLink, AnIdleSinkSendsLateRowsAtTheirDeadlineAndHeartbeats) {
  int port = testing::FreePort();
  void* context = zmq_ctx_new();
  void* pull = zmq_socket(context, ZMQ_PULL);
  CHECK_EQUAL(0, zmq_bind(pull, Endpoint(port).c_str()));
  // The type of the next message the peer gets (waiting up to `wait_ms`),
  // and its row count if a Batch; false if none came.
  auto receive = [&](int wait_ms, wire::fb::Message* type, uint32_t* rows) {
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &wait_ms, sizeof(wait_ms));
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    bool got = zmq_msg_recv(&frame, pull, 0) >= 0 && zmq_msg_recv(&frame, pull, 0) >= 0;
    if (got) {
      // libzmq's frames are not aligned; FlatBuffers wants 8-byte alignment.
      std::vector<uint64_t> aligned(zmq_msg_size(&frame) / 8 + 1);
      std::memcpy(aligned.data(), zmq_msg_data(&frame), zmq_msg_size(&frame));
      const auto* envelope = wire::fb::GetEnvelope(aligned.data());
      *type = envelope->message_type();
      if (*type == wire::fb::Message::Batch) *rows = envelope->message_as_Batch()->row_count();
    }
    zmq_msg_close(&frame);
    return got;
  };
  ZmqSinkOptions o;
  o.name = "out";
  o.connect = {Endpoint(port)};
  o.channel = "readings";
  o.max_latency_ms = 50;
  o.heartbeat_ms = 100;
  ZmqSink sink(o, schema, &sender_symbols, SystemClock::Get());
  CHECK(sink.Open().ok());
  wire::fb::Message type = wire::fb::Message::NONE;
  uint32_t rows = 0;
  CHECK(receive(2000, &type, &rows));
  CHECK(type == wire::fb::Message::Hello);

  RowBatch batch(3, 10);
  AppendDevRows(&batch, 10);
  const int64_t written_at = SystemClock::Get()->NowMillis();
  CHECK(sink.Write(batch).ok());
  UNSIGNED_LONGLONGS_EQUAL(0, sink.batches_sent());  // waits for more rows
  const int64_t deadline = sink.next_processing_time_ms();
  CHECK(deadline >= written_at + 50 && deadline <= written_at + 60);
  CHECK(sink.OnProcessingTime(deadline - 1).ok());
  UNSIGNED_LONGLONGS_EQUAL(0, sink.batches_sent());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(sink.OnProcessingTime(SystemClock::Get()->NowMillis()).ok());
  const int64_t sent_at = SystemClock::Get()->NowMillis();
  UNSIGNED_LONGLONGS_EQUAL(1, sink.batches_sent());
  CHECK(receive(2000, &type, &rows));
  CHECK(type == wire::fb::Message::Batch);
  LONGS_EQUAL(10, rows);

  // Run the sink's duties as a task would until a heartbeat comes: not in
  // the period the batch went out in, but by the end of the next one.
  int64_t heartbeat_at = 0;
  while (heartbeat_at == 0 && SystemClock::Get()->NowMillis() < sent_at + 1000) {
    int64_t due = sink.next_processing_time_ms();
    int64_t now = SystemClock::Get()->NowMillis();
    if (due > now) std::this_thread::sleep_for(std::chrono::milliseconds(due - now));
    CHECK(sink.OnProcessingTime(SystemClock::Get()->NowMillis()).ok());
    if (receive(0, &type, &rows)) {
      CHECK(type == wire::fb::Message::Hello);  // a Hello goes first
      CHECK(receive(2000, &type, &rows));
      CHECK(type == wire::fb::Message::Heartbeat);
      heartbeat_at = SystemClock::Get()->NowMillis();
    }
  }
  CHECK_TEXT(heartbeat_at >= sent_at + 100 - 5 && heartbeat_at <= sent_at + 2 * 100 + kSlackMs,
             ("heartbeat " + std::to_string(heartbeat_at - sent_at) + " ms after the batch")
                 .c_str());
  CHECK(sink.Close().ok());
  zmq_close(pull);
  zmq_ctx_term(context);
}

TEST(ZmqLink, PushWithoutPeerReportsUndeliveredRows) {
  int port = testing::FreePort();
  ZmqSinkOptions o;
  o.name = "out";
  o.bind = {Endpoint(port)};  // nobody connects
  o.channel = "readings";
  o.max_latency_ms = 60000;  // Write keeps the rows; Close tries to send them
  o.linger_ms = 300;
  o.peer_timeout_ms = 100;
  ZmqSink sink(o, schema, &sender_symbols, SystemClock::Get());
  CHECK(sink.Open().ok());
  RowBatch batch(3, 10);
  AppendDevRows(&batch, 10);
  CHECK(sink.Write(batch).ok());
  Status closed = sink.Close();
  CHECK_FALSE(closed.ok());
  STRCMP_CONTAINS("10 rows not delivered", closed.message().c_str());
}

TEST(ZmqLink, AJobStopEndsAWriteBlockedOnAMissingPeerAfterLinger) {
  Status closed = WriteUntilInterrupted([](runtime::JobSignals* s) { s->stop = true; });
  CHECK_FALSE(closed.ok());
  STRCMP_CONTAINS("5000 rows not delivered", closed.message().c_str());
}

TEST(ZmqLink, AJobCancelEndsAWriteBlockedOnAMissingPeer) {
  Status closed = WriteUntilInterrupted([](runtime::JobSignals* s) { s->cancel = true; });
  CHECK_FALSE(closed.ok());
  STRCMP_CONTAINS("5000 rows not delivered", closed.message().c_str());
}
