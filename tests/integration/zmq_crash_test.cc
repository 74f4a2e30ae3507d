// Crash recovery of a two-process ZeroMQ pipeline with real processes: a
// sender (file -> zmq sink) and a receiver (zmq source -> window -> file),
// linked exactly-once (docs/WIRE.md), both checkpointing every 10 ms. One
// or the other is killed with SIGKILL at random points and restarted, 20
// times or more (some kills during a checkpoint's write), until the sender
// finishes — which it does only once the receiver's checkpoint holds every
// row — and the receiver is then stopped (SIGTERM). Its committed output
// must hold the same rows as a failure-free run ended the same way: no row
// lost, none twice.
//
// The sender's batches end where its latency deadline falls, so a
// restarted sender may cut its rows into other batches than before: the
// receiver must drop the part of a batch it already has (how often it did
// is printed; exactly_once_link_test forces the case).
//
// The sender's replay buffer is small (64 KiB) and its socket queues 20
// batches: while the receiver is down or behind, its oldest batches move to
// the replay spill on disk, so kills also hit a sender whose checkpoint
// counts on spilled batches (how often it spilled is printed and must
// happen).
//
// Rows are compared as sorted lines: which windows fire together depends
// on how rows were batched on arrival (timing), not on what arrived. The
// readings are never later than the graph allows, so no row's lateness
// depends on batching either.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/crash_testing.h"
#include "tests/testing/process.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/zmq/free_port.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::CommittedParts;
using runnel::testing::FirstDifference;
using runnel::testing::GenerateReadings;
using runnel::testing::KilledDuringWrite;
using runnel::testing::NowMs;
using runnel::testing::Process;
using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::SortedLines;
using runnel::testing::TempDir;
using runnel::testing::WaitForFirstCheckpoint;

namespace {

int Rows() { return std::getenv("RUNNEL_TEST_EMULATOR") != nullptr ? 50000 : 200000; }
constexpr int kMinKills = 20;

const char kSchema[] = R"("schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts", "unit": "ms" },
    { "name": "temp", "type": "f64" }, { "name": "humidity", "type": "f64" } ] }])";

std::string Sender(const std::string& state, int data_port, int back_port) {
  return std::string(R"({ "name": "sender", )") + kSchema + R"(,
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": "readings.csv" } }],
  "sinks": [{ "name": "uplink", "input": "readings", "zmq": {
    "connect": ["tcp://127.0.0.1:)" + std::to_string(data_port) + R"("],
    "channel": "readings", "producer_name": "gateway-1", "heartbeat_ms": 100,
    "batch_rows": 300, "max_latency_ms": 1, "high_water_mark": 20,
    "exactly_once": true, "replay_buffer_bytes": 65536, "replay_spill_dir": ")" + state +
         R"(_spill",
    "back_channel_connect": ["tcp://127.0.0.1:)" + std::to_string(back_port) + R"("] } }],
  "checkpoint": { "dir": ")" + state + R"(", "interval_ms": 10 } })";
}

std::string Receiver(const std::string& state, const std::string& out, int data_port,
                     int back_port) {
  return std::string(R"({ "name": "receiver", )") + kSchema + R"(,
  "sources": [{ "name": "readings", "schema": "reading", "zmq": {
    "bind": ["tcp://127.0.0.1:)" + std::to_string(data_port) + R"("], "heartbeat_ms": 100,
    "exactly_once": true,
    "back_channel_bind": ["tcp://127.0.0.1:)" + std::to_string(back_port) + R"("] },
    "event_time": { "field": "ts", "max_out_of_orderness_ms": 2000 } }],
  "operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device", "window": {
        "type": "tumbling", "size_ms": 10000, "allowed_lateness_ms": 5000,
        "values": ["count() as count", "avg(temp) as avg", "max(temp) as max"],
        "emit": "final" } },
    { "name": "averages", "input": "windows",
      "project": ["device", "window_start", "window_end", "count", "avg", "max"] } ],
  "sinks": [{ "name": "file", "input": "averages", "csv": { "path": ")" + out + R"(" } }],
  "checkpoint": { "dir": ")" + state + R"(", "interval_ms": 10 } })";
}


std::unique_ptr<Process> Start(const std::string& graph) {
  auto p = std::make_unique<Process>(
      std::vector<std::string>{"tools/runnel", "run", graph, "--log-level", "debug"});
  CHECK(p->started());
  return p;
}

int Occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Stops the receiver once the sender has finished, and returns its
// committed output; checks both ended well.
std::string StopReceiver(const TempDir& dir, Process* sender, Process* receiver,
                         const std::string& out) {
  CHECK_TEXT(sender->Wait(120000), "the sender never finished");
  LONGS_EQUAL_TEXT(0, sender->exit_code(), sender->Err().c_str());
  // A receiver restarted a moment ago must be up before it is stopped.
  WaitForFirstCheckpoint(receiver);
  CHECK(receiver->Signal(SIGTERM));
  CHECK_TEXT(receiver->Wait(60000), "the receiver did not stop");
  LONGS_EQUAL_TEXT(0, receiver->exit_code(), receiver->Err().c_str());
  int in_progress = 0;
  std::string committed = CommittedParts(dir, out, &in_progress);
  LONGS_EQUAL(0, in_progress);
  return committed;
}

}  // namespace

TEST_GROUP(ZmqCrash){};

TEST(ZmqCrash, KilledAtRandomPointsTheReceiverCommitsEveryRowOnce) {
  TempDir dir;
  dir.Write("readings.csv", GenerateReadings(Rows(), /*very_late=*/false));
  const int data_port = runnel::testing::FreePort();
  const int back_port = runnel::testing::FreePort();

  // Failure-free.
  const int64_t started = NowMs();
  auto receiver = Start(dir.Write("r.json", Receiver("r_state", "ref.csv", data_port, back_port)));
  auto sender = Start(dir.Write("s.json", Sender("s_state", data_port, back_port)));
  const std::string expected =
      SortedLines(StopReceiver(dir, sender.get(), receiver.get(), "ref.csv"));
  const int64_t duration_ms = std::max<int64_t>(NowMs() - started, 200);
  CHECK(std::count(expected.begin(), expected.end(), '\n') > 1000);

  // Rounds on fresh state directories: the sender or the receiver (at
  // random) is killed at a random point after it stored its first
  // checkpoint, up to `spread` ms later, and restarted; until the sender
  // finishes. A round with too few kills in all is followed by one with
  // half the spread.
  std::mt19937 random(7);
  int64_t spread = std::max<int64_t>(duration_ms / 15, 5);
  int kills = 0, sender_kills = 0, receiver_kills = 0, during_write = 0;
  // Batches a receiver took in part: a restarted sender cut them otherwise.
  int partly_delivered = 0;
  const auto count_partly = [&](const std::string& err) {
    partly_delivered += Occurrences(err, "were delivered before");
  };
  // Times a sender's full replay buffer began moving batches to its spill.
  int spills = 0;
  const auto count_spills = [&](const std::string& err) {
    spills += Occurrences(err, "to the replay spill");
  };
  for (int round = 0; round < 4 && kills < kMinKills; ++round, spread = spread / 2 + 1) {
    const std::string n = std::to_string(round);
    const std::string out = "out" + n + ".csv";
    const std::string r_graph =
        dir.Write("r" + n + ".json", Receiver("r_state" + n, out, data_port, back_port));
    const std::string s_graph =
        dir.Write("s" + n + ".json", Sender("s_state" + n, data_port, back_port));
    receiver = Start(r_graph);
    sender = Start(s_graph);
    std::uniform_int_distribution<int64_t> extra(0, spread);
    for (int attempt = 0; attempt < 200 && !sender->exited(); ++attempt) {
      const bool kill_sender = random() % 2 == 0;
      std::unique_ptr<Process>& victim = kill_sender ? sender : receiver;
      WaitForFirstCheckpoint(victim.get());
      if (victim->exited() || victim->Wait(static_cast<int>(extra(random)))) break;
      CHECK(victim->Signal(SIGKILL));
      CHECK(victim->Wait(10000));
      ++kills;
      ++(kill_sender ? sender_kills : receiver_kills);
      if (KilledDuringWrite(victim->Err())) ++during_write;
      if (kill_sender) {
        count_spills(victim->Err());
      } else {
        count_partly(victim->Err());
      }
      victim = Start(kill_sender ? s_graph : r_graph);
    }
    const std::string got = SortedLines(StopReceiver(dir, sender.get(), receiver.get(), out));
    count_partly(receiver->Err());
    count_spills(sender->Err());
    printf("\nzmq_crash_test: round %d (spread %lld ms): %d kills so far (sender %d, receiver "
           "%d, %d during a checkpoint's write; %d batches taken in part; the sender spilled "
           "%d times); failure-free run %lld ms\n",
           round, static_cast<long long>(spread), kills, sender_kills, receiver_kills,
           during_write, partly_delivered, spills, static_cast<long long>(duration_ms));
    STRCMP_EQUAL("", FirstDifference(expected, got).c_str());
  }
  CHECK_TEXT(kills >= kMinKills, ("only " + std::to_string(kills) + " kills").c_str());
  CHECK(sender_kills > 0);
  CHECK(receiver_kills > 0);
  CHECK(during_write > 0);
  CHECK(spills > 0);
}

// The README's exactly-once example pair (examples/zmq/exactly_once_*.json)
// runs as documented, its receiver killed once and restarted: its committed
// output holds the rows the plain pair (sender.json, receiver.json) prints.
TEST(ZmqCrash, TheExactlyOnceExamplePairDeliversEveryReadingOnce) {
  TempDir dir;
  CHECK(mkdir(dir.File("zmq").c_str(), 0755) == 0);
  CHECK(mkdir(dir.File("sensors").c_str(), 0755) == 0);
  dir.Write("sensors/readings.csv", ReadFile("examples/sensors/readings.csv"));
  for (const char* name : {"sender.json", "receiver.json", "exactly_once_sender.json",
                           "exactly_once_receiver.json"}) {
    dir.Write(std::string("zmq/") + name, ReadFile(std::string("examples/zmq/") + name));
  }
  setenv("ZMQ_ENDPOINT", ("tcp://127.0.0.1:" + std::to_string(runnel::testing::FreePort())).c_str(),
         1);
  setenv("ZMQ_BACK_ENDPOINT",
         ("tcp://127.0.0.1:" + std::to_string(runnel::testing::FreePort())).c_str(), 1);

  Process plain_receiver({"tools/runnel", "run", dir.File("zmq/receiver.json")});
  ProcessResult plain_sender = RunProcess({"tools/runnel", "run", dir.File("zmq/sender.json")});
  LONGS_EQUAL_TEXT(0, plain_sender.exit_code, plain_sender.err.c_str());
  CHECK(plain_receiver.Wait(60000));
  LONGS_EQUAL_TEXT(0, plain_receiver.exit_code(), plain_receiver.Err().c_str());
  const std::string expected = SortedLines(plain_receiver.Out());
  CHECK(std::count(expected.begin(), expected.end(), '\n') > 10);

  auto receiver = Start(dir.File("zmq/exactly_once_receiver.json"));
  WaitForFirstCheckpoint(receiver.get());
  CHECK(receiver->Signal(SIGKILL));
  CHECK(receiver->Wait(10000));
  auto sender = Start(dir.File("zmq/exactly_once_sender.json"));
  receiver = Start(dir.File("zmq/exactly_once_receiver.json"));
  CHECK_TEXT(sender->Wait(60000), "the sender never finished");
  LONGS_EQUAL_TEXT(0, sender->exit_code(), sender->Err().c_str());
  CHECK_TEXT(receiver->Wait(60000), "the receiver did not end after the sender closed");
  LONGS_EQUAL_TEXT(0, receiver->exit_code(), receiver->Err().c_str());
  int in_progress = 0;
  const std::string got = SortedLines(CommittedParts(dir, "zmq/averages.out.csv", &in_progress));
  LONGS_EQUAL(0, in_progress);
  STRCMP_EQUAL("", FirstDifference(expected, got).c_str());
  unsetenv("ZMQ_ENDPOINT");
  unsetenv("ZMQ_BACK_ENDPOINT");
}
