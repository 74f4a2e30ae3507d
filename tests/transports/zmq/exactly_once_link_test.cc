// The exactly-once ZeroMQ link (docs/WIRE.md, "Exactly-once links") over
// real sockets on tcp://127.0.0.1, its checkpoints kept in a map the way
// the checkpoint store applies them: the receiver's Acks release what the
// sender keeps; a receiver restored from its checkpoint gets the rows it
// lacked sent again; a sender restored from its checkpoint that sends the
// same rows again has them dropped as duplicates; both restarting at once
// loses and repeats nothing; Finish waits for the receiver to hold every
// row and the close, and gives up when the job is stopped; an outage longer
// than the replay buffer holds spills to disk and loses nothing.
#include <zmq.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/job_signals.h"
#include "core/runtime/state_buffer.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "tests/testing/leveldb_env_started.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/zmq/free_port.h"
#include "tests/transports/zmq/link_fixture.h"
#include "transports/zmq/zmq_sink.h"
#include "transports/zmq/zmq_source.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

using namespace runnel;
using namespace runnel::schema;
using runnel::runtime::StateBuffer;
using runnel::testing::Endpoint;
using runnel::testing::MakeRow;
using runnel::testing::Readings;
using runnel::testing::Row;
using runnel::zmq::ZmqSink;
using runnel::zmq::ZmqSinkOptions;
using runnel::zmq::ZmqSource;
using runnel::zmq::ZmqSourceOptions;

namespace {

// One stage's records in a checkpoint store: key -> value, as of the
// latest checkpoint.
using Records = std::map<std::string, std::string>;

void Apply(const StateBuffer& buffer, bool full, Records* records) {
  if (full) records->clear();
  buffer.ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
    if (is_delete) {
      records->erase(std::string(key));
    } else {
      (*records)[std::string(key)] = std::string(value);
    }
  });
}

std::vector<Row> Expected(int first, int last) {
  std::vector<Row> rows;
  for (int i = first; i < last; ++i) rows.push_back(MakeRow(i));
  return rows;
}

int64_t Now() { return SystemClock::Get()->NowMillis(); }

}  // namespace

TEST_GROUP(ExactlyOnceLink) {
  // libzmq's threads allocate with operator new too.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
  Schema schema = Readings();
  SymbolTable sender_symbols{1024, 1 << 16};
  SymbolTable receiver_symbols{1024, 1 << 16};
  const int data_port = testing::FreePort();
  const int back_port = testing::FreePort();
  uint64_t source_checkpoint = 0;

  ZmqSinkOptions SinkOptions() {
    ZmqSinkOptions o;
    o.name = "out";
    o.connect = {Endpoint(data_port)};
    o.channel = "readings";
    o.producer_name = "gateway-1";
    o.batch_rows = 64;
    o.heartbeat_ms = 50;
    o.linger_ms = 300;
    o.exactly_once = true;
    o.back_connect = {Endpoint(back_port)};
    o.replay_buffer_bytes = 1 << 20;
    return o;
  }
  ZmqSourceOptions SourceOptions() {
    ZmqSourceOptions o;
    o.name = "in";
    o.bind = {Endpoint(data_port)};
    o.heartbeat_ms = 50;
    o.end_after_producers = 1;
    o.exactly_once = true;
    o.back_bind = {Endpoint(back_port)};
    return o;
  }
  std::unique_ptr<ZmqSink> MakeSink(const Records& restore = {}, uint32_t batch_rows = 64) {
    ZmqSinkOptions options = SinkOptions();
    options.batch_rows = batch_rows;
    return MakeSinkWith(options, restore);
  }
  std::unique_ptr<ZmqSink> MakeSinkWith(const ZmqSinkOptions& options, const Records& restore) {
    auto sink = std::make_unique<ZmqSink>(options, schema, &sender_symbols, SystemClock::Get());
    for (const auto& [key, value] : restore) CHECK(sink->RestoreEntry(key, value).ok());
    const Status opened = sink->Open();
    CHECK_TEXT(opened.ok(), opened.message().c_str());
    return sink;
  }
  // Options of a sender whose socket queues 10 batches and whose replay
  // buffer holds about 50 before its oldest move to a spill in `dir`.
  ZmqSinkOptions SpillingSinkOptions(const std::string& dir) {
    ZmqSinkOptions options = SinkOptions();
    options.high_water_mark = 10;
    options.replay_buffer_bytes = 1 << 16;
    options.spill_dir = dir;
    return options;
  }
  // A restarted receiver binds the ports its predecessor just closed:
  // libzmq releases them in the background, so it tries for a while.
  std::unique_ptr<ZmqSource> MakeSource(const Records& restore = {}) {
    for (int64_t deadline = Now() + 5000;;) {
      auto source = std::make_unique<ZmqSource>(SourceOptions(), schema, &receiver_symbols,
                                                SystemClock::Get());
      for (const auto& [key, value] : restore) CHECK(source->RestoreEntry(key, value).ok());
      Status opened = source->Open();
      if (opened.ok()) return source;
      CHECK_TEXT(Now() < deadline, opened.message().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Writes rows first .. last - 1 (MakeRow) in batches of up to 100.
  void WriteRows(ZmqSink* sink, int first, int last) {
    RowBatch batch(3, 100);
    for (int i = first; i < last;) {
      batch.Clear();
      for (; i < last && !batch.full(); ++i) {
        Row r = MakeRow(i);
        Slot* s = batch.Append();
        uint32_t id;
        sender_symbols.Intern(r.device, &id);
        s[0].i64 = id;
        s[1].i64 = r.ts;
        s[2].f64 = r.temp;
      }
      CHECK(sink->Write(batch).ok());
    }
  }

  // Reads `source` into *rows (when given) and lets `sink` (when given) do
  // its processing-time duties, until `done()`; false after 10 s.
  bool Pump(ZmqSink* sink, ZmqSource* source, std::vector<Row>* rows,
            const std::function<bool()>& done) {
    RowBatch batch(3, 256);
    const int64_t deadline = Now() + 10000;
    while (!done()) {
      if (Now() > deadline) return false;
      if (sink != nullptr && sink->next_processing_time_ms() <= Now()) {
        CHECK(sink->OnProcessingTime(Now()).ok());
      }
      if (source == nullptr) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      batch.Clear();
      bool ended = false;
      CHECK(source->Read(&batch, &ended).ok());
      for (uint32_t r = 0; r < batch.size(); ++r) {
        const Slot* s = batch.row(r);
        rows->push_back({std::string(receiver_symbols.Lookup(static_cast<uint32_t>(s[0].i64))),
                         s[1].i64, s[2].f64});
      }
    }
    return true;
  }

  // The source's checkpoint, stored: its positions go into *records and
  // it is told the checkpoint completed (it sends Acks).
  void CheckpointSource(ZmqSource* source, Records* records) {
    StateBuffer buffer(source->checkpoint_bytes());
    CHECK(source->SavePosition(&buffer));
    Apply(buffer, false, records);
    source->CheckpointCompleted(++source_checkpoint);
  }

  void CheckpointSink(ZmqSink* sink, bool full, Records* records) {
    StateBuffer buffer(sink->checkpoint_bytes());
    CHECK(sink->PrepareCommit(1, full, &buffer).ok());
    Apply(buffer, full, records);
  }

  // Reads `source` until it ends (false after 10 s), its checkpoint taken
  // every 20 ms into *positions; returns the rows read in *rows.
  bool ReadUntilEnded(ZmqSource* source, Records* positions, uint64_t* rows) {
    RowBatch batch(3, 256);
    bool ended = false;
    for (int64_t deadline = Now() + 10000, next = 0; !ended && Now() < deadline;) {
      if (Now() >= next) {
        CheckpointSource(source, positions);
        next = Now() + 20;
      }
      batch.Clear();
      CHECK(source->Read(&batch, &ended).ok());
      *rows += batch.size();
    }
    return ended;
  }

  // Checkpoints the source every 20 ms until the sink has nothing
  // unacknowledged (the first Acks may go before the back channel is
  // connected: a PUB drops them).
  void AcknowledgeAll(ZmqSink* sink, ZmqSource* source, std::vector<Row>* rows) {
    Records ignored;
    int64_t next = 0;
    CHECK(Pump(sink, source, rows, [&] {
      if (Now() >= next) {
        CheckpointSource(source, &ignored);
        next = Now() + 20;
      }
      return sink->unacknowledged_rows() == 0;
    }));
  }
};

TEST(ExactlyOnceLink, AcksReleaseWhatTheSenderKeeps) {
  auto source = MakeSource();
  auto sink = MakeSink();
  WriteRows(sink.get(), 0, 1000);
  std::vector<Row> rows;
  CHECK(Pump(sink.get(), source.get(), &rows, [&] { return rows.size() >= 1000; }));
  UNSIGNED_LONGLONGS_EQUAL(1000, sink->unacknowledged_rows());
  AcknowledgeAll(sink.get(), source.get(), &rows);
  CHECK(rows == Expected(0, 1000));
  // Nothing kept: a checkpoint of the sender holds only its position.
  Records records;
  CheckpointSink(sink.get(), true, &records);
  LONGS_EQUAL(1, records.size());
}

TEST(ExactlyOnceLink, ARestoredReceiverGetsTheRowsItsCheckpointLacked) {
  auto source = MakeSource();
  auto sink = MakeSink();
  std::vector<Row> rows;
  Records positions;
  WriteRows(sink.get(), 0, 500);
  CHECK(Pump(sink.get(), source.get(), &rows, [&] { return rows.size() >= 500; }));
  CheckpointSource(source.get(), &positions);
  WriteRows(sink.get(), 500, 1000);
  CHECK(Pump(sink.get(), source.get(), &rows, [&] { return rows.size() >= 1000; }));
  source.reset();  // crashed: what it read after its checkpoint is gone

  auto restored = MakeSource(positions);
  WriteRows(sink.get(), 1000, 1200);
  std::vector<Row> again;
  CHECK_TEXT(Pump(sink.get(), restored.get(), &again, [&] { return again.size() >= 700; }),
             ("got " + std::to_string(again.size()) + " of 700 rows").c_str());
  CHECK(Pump(sink.get(), restored.get(), &again,
             [&, until = Now() + 200] { return Now() > until; }));  // and no more
  CHECK(again == Expected(500, 1200));
  CHECK(restored->gaps() > 0);
}

TEST(ExactlyOnceLink, ARestoredSenderSendingTheSameRowsAgainDeliversThemOnce) {
  auto source = MakeSource();
  auto sink = MakeSink();
  std::vector<Row> rows;
  Records kept;
  WriteRows(sink.get(), 0, 500);
  CheckpointSink(sink.get(), false, &kept);
  WriteRows(sink.get(), 500, 777);
  CHECK(Pump(sink.get(), source.get(), &rows, [&] { return rows.size() >= 777; }));
  sink.reset();  // crashed after its checkpoint at row 500

  // Its job replays its input from the checkpoint: rows 500.. again, cut
  // into other batches (50 rows, not 64): the one holding row 777 overlaps
  // what the receiver has.
  auto restored = MakeSink(kept, /*batch_rows=*/50);
  WriteRows(restored.get(), 500, 1000);
  CHECK(Pump(restored.get(), source.get(), &rows, [&] { return rows.size() >= 1000; }));
  AcknowledgeAll(restored.get(), source.get(), &rows);
  CHECK(rows == Expected(0, 1000));
  CHECK(source->duplicates() > 0);
  CHECK(source->batches_taken_in_part() > 0);
}

TEST(ExactlyOnceLink, BothRestoredAtOnceLoseAndRepeatNothing) {
  auto source = MakeSource();
  auto sink = MakeSink();
  std::vector<Row> rows;
  Records positions;
  Records kept;
  WriteRows(sink.get(), 0, 300);
  CHECK(Pump(sink.get(), source.get(), &rows, [&] { return rows.size() >= 300; }));
  CheckpointSource(source.get(), &positions);
  WriteRows(sink.get(), 300, 600);
  CheckpointSink(sink.get(), false, &kept);  // keeps rows 300..599 at least
  WriteRows(sink.get(), 600, 700);
  CHECK(Pump(sink.get(), source.get(), &rows, [&] { return rows.size() >= 700; }));
  source.reset();
  sink.reset();

  auto new_source = MakeSource(positions);  // has rows up to 299
  auto new_sink = MakeSink(kept);           // resumes at row 600
  WriteRows(new_sink.get(), 600, 800);
  std::vector<Row> again;
  CHECK_TEXT(Pump(new_sink.get(), new_source.get(), &again, [&] { return again.size() >= 500; }),
             ("got " + std::to_string(again.size()) + " of 500 rows").c_str());
  AcknowledgeAll(new_sink.get(), new_source.get(), &again);
  CHECK(again == Expected(300, 800));
}

TEST(ExactlyOnceLink, FinishWaitsUntilTheReceiverHoldsEveryRowAndTheClose) {
  auto source = MakeSource();
  auto sink = MakeSink();
  WriteRows(sink.get(), 0, 100);
  std::atomic<bool> finished{false};
  Status finish;
  std::thread sender([&] {
    finish = sink->Finish();
    finished = true;
  });
  Records positions;
  RowBatch batch(3, 256);
  bool ended = false;
  uint64_t rows = 0;
  // Every row and the close, before any checkpoint: Finish still waits.
  for (int64_t deadline = Now() + 10000; rows < 100 && Now() < deadline;) {
    batch.Clear();
    CHECK(source->Read(&batch, &ended).ok());
    rows += batch.size();
  }
  LONGS_EQUAL(100, rows);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // closing heartbeats
  CHECK_FALSE_TEXT(finished.load(), "Finish returned before the receiver's checkpoint");
  CHECK_FALSE(ended);
  // The source ends two heartbeat periods after a checkpoint holds the close.
  CHECK(ReadUntilEnded(source.get(), &positions, &rows));
  LONGS_EQUAL(100, rows);
  for (int64_t deadline = Now() + 10000; !finished && Now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sender.join();
  CHECK_TRUE_TEXT(finish.ok(), finish.message().c_str());
  // Restored, the receiver knows the producer closed: it ends after its
  // first checkpoint, without the producer.
  source.reset();
  auto restored = MakeSource(positions);
  uint64_t more = 0;
  CHECK(ReadUntilEnded(restored.get(), &positions, &more));
  LONGS_EQUAL(0, more);
}

// A checkpoint between two parts of one batch (the receiver's batches are
// smaller than the sender's) holds the rows handed on, not the batch: a
// receiver restored from it gets the rest of the batch again.
TEST(ExactlyOnceLink, ACheckpointInsideABatchHoldsOnlyTheRowsHandedOn) {
  auto source = MakeSource();
  auto sink = MakeSink();  // 64-row batches
  WriteRows(sink.get(), 0, 64);
  Records positions;
  RowBatch small(3, 10);
  std::vector<Row> rows;
  bool ended = false;
  for (int64_t deadline = Now() + 10000; rows.size() < 10 && Now() < deadline;) {
    small.Clear();
    CHECK(source->Read(&small, &ended).ok());
    for (uint32_t r = 0; r < small.size(); ++r) rows.push_back(MakeRow(static_cast<int>(rows.size())));
  }
  LONGS_EQUAL(10, rows.size());
  CheckpointSource(source.get(), &positions);  // rows 1..10 of the 64 handed on
  source.reset();
  auto restored = MakeSource(positions);
  WriteRows(sink.get(), 64, 100);
  std::vector<Row> again;
  CHECK_TEXT(Pump(sink.get(), restored.get(), &again, [&] { return again.size() >= 90; }),
             ("got " + std::to_string(again.size()) + " of 90 rows").c_str());
  CHECK(again == Expected(10, 100));
}

TEST(ExactlyOnceLink, FinishGivesUpWhenTheJobIsStopped) {
  auto sink = MakeSink();  // no receiver
  runtime::JobSignals signals;
  sink->WatchSignals(&signals);
  WriteRows(sink.get(), 0, 10);
  signals.stop = true;
  Status finish = sink->Finish();
  CHECK_FALSE(finish.ok());
  STRCMP_CONTAINS("has not confirmed rows 1 to 10", finish.message().c_str());
}

// An uplink outage longer than the replay buffer holds (no receiver; the
// socket queues 10 batches): the oldest batches move to the replay spill
// and Write never waits. The sender crashes after a checkpoint and restarts
// on it and its spill; when a receiver comes, every row arrives once, in
// order, and its Acks empty the spill.
TEST(ExactlyOnceLink, AnOutageLongerThanTheBufferSpillsToDiskAndLosesNothing) {
  testing::TempDir temp;
  const ZmqSinkOptions options = SpillingSinkOptions(temp.File("spill"));
  auto sink = MakeSinkWith(options, {});
  WriteRows(sink.get(), 0, 20000);
  CHECK(sink->spill() != nullptr);
  CHECK_TEXT(sink->spill()->entries() > 100,
             ("spilled " + std::to_string(sink->spill()->entries()) + " batches").c_str());
  CHECK(sink->unsent_rows() > 19000);
  Records kept;
  CheckpointSink(sink.get(), false, &kept);
  WriteRows(sink.get(), 20000, 21000);  // lost with the crash: its job replays them
  sink.reset();

  auto restored = MakeSinkWith(options, kept);
  CHECK(!restored->spill()->empty());
  WriteRows(restored.get(), 20000, 25000);
  auto source = MakeSource();
  std::vector<Row> rows;
  CHECK_TEXT(Pump(restored.get(), source.get(), &rows, [&] { return rows.size() >= 25000; }),
             ("got " + std::to_string(rows.size()) + " of 25000 rows").c_str());
  AcknowledgeAll(restored.get(), source.get(), &rows);
  CHECK(rows == Expected(0, 25000));
  CHECK(restored->spill()->empty());
  UNSIGNED_LONGLONGS_EQUAL(0, restored->spill()->bytes());
}

// A checkpoint that counts on spilled batches cannot be restored without
// them: a sender given no spill directory, or an emptied one, refuses to
// start, naming what is missing.
TEST(ExactlyOnceLink, ASenderWhoseSpillIsGoneRefusesToStart) {
  testing::TempDir temp;
  ZmqSinkOptions options = SpillingSinkOptions(temp.File("spill"));
  Records kept;
  {
    auto sink = MakeSinkWith(options, {});
    WriteRows(sink.get(), 0, 20000);
    CheckpointSink(sink.get(), false, &kept);
  }
  options.spill_dir.clear();
  ZmqSink without(options, schema, &sender_symbols, SystemClock::Get());
  for (const auto& [key, value] : kept) CHECK(without.RestoreEntry(key, value).ok());
  Status opened = without.Open();
  CHECK_FALSE(opened.ok());
  STRCMP_CONTAINS("replay_spill_dir is not set", opened.message().c_str());

  options.spill_dir = temp.File("another");
  ZmqSink elsewhere(options, schema, &sender_symbols, SystemClock::Get());
  for (const auto& [key, value] : kept) CHECK(elsewhere.RestoreEntry(key, value).ok());
  opened = elsewhere.Open();
  CHECK_FALSE(opened.ok());
  STRCMP_CONTAINS("lacks batches the checkpoint counts on", opened.message().c_str());
  STRCMP_CONTAINS(temp.File("another").c_str(), opened.message().c_str());
}
