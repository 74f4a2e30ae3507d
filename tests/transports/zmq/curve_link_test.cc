// CURVE on real ZeroMQ sockets over tcp://127.0.0.1 (no mocks): a ZmqSink
// client whose public key the ZmqSource server allows gets every row
// through; a client with an unlisted key, or with no CURVE at all, gets
// nothing through, and is refused: the unlisted key by the ZAP handler, the
// others at the handshake (counted by RefusedClients(), logged).
#include <string>
#include <thread>
#include <vector>

#include "core/common/clock.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "tests/transports/zmq/free_port.h"
#include "tests/transports/zmq/link_fixture.h"
#include "transports/zmq/curve.h"
#include "transports/zmq/zap_handler.h"
#include "transports/zmq/zmq_sink.h"
#include "transports/zmq/zmq_source.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

using namespace runnel;
using namespace runnel::schema;
using runnel::testing::Endpoint;
using runnel::testing::Readings;
using runnel::zmq::CurveOptions;
using runnel::zmq::KeyPair;
using runnel::zmq::ZmqSink;
using runnel::zmq::ZmqSinkOptions;
using runnel::zmq::ZmqSource;
using runnel::zmq::ZmqSourceOptions;

namespace {

KeyPair NewPair() {
  Result<KeyPair> pair = zmq::GenerateKeyPair();
  CHECK(pair.ok());
  return pair.value();
}

// Reads `source` until it is done or `timeout_ms` passed; the rows read.
size_t CountRows(ZmqSource* source, int timeout_ms) {
  size_t rows = 0;
  RowBatch batch(3, 256);
  int64_t deadline = SystemClock::Get()->NowMillis() + timeout_ms;
  bool done = false;
  while (!done && SystemClock::Get()->NowMillis() < deadline) {
    batch.Clear();
    Status status = source->Read(&batch, &done);
    CHECK_TRUE_TEXT(status.ok(), status.message().c_str());
    rows += batch.size();
  }
  return rows;
}

}  // namespace

TEST_GROUP(CurveLink) {
  // libzmq's threads allocate with operator new too.
  void setup() override {
    MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads();
    port = testing::FreePort();
    ZmqSourceOptions o;
    o.name = "in";
    o.bind = {Endpoint(port)};
    o.end_after_producers = 1;
    o.curve.server = true;
    o.curve.public_key = server.public_key;
    o.curve.secret_key = server.secret_key;
    o.curve.allowed_clients = {allowed.public_key};
    o.curve.name = Endpoint(port);
    source = new ZmqSource(o, schema, &receiver_symbols, SystemClock::Get());
    Status status = source->Open();
    CHECK_TEXT(status.ok(), status.message().c_str());
  }
  void teardown() override {
    delete source;
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }

  // Sends `rows` rows from a sink with `curve`, then closes it (waiting at
  // most linger_ms for the server). A refused client's Write blocks once the
  // socket's queue is full (no peer takes batches), so refused clients send
  // fewer rows than it holds (kRefusedRows).
  void Send(const CurveOptions& curve, int rows, int64_t linger_ms) {
    ZmqSinkOptions o;
    o.name = "out";
    o.connect = {Endpoint(port)};
    o.channel = "readings";
    o.batch_rows = 100;
    o.linger_ms = linger_ms;
    o.curve = curve;
    ZmqSink sink(o, schema, &sender_symbols, SystemClock::Get());
    Status status = sink.Open();
    CHECK_TEXT(status.ok(), status.message().c_str());
    RowBatch batch(3, 100);
    uint32_t id;
    sender_symbols.Intern("dev-1", &id);
    for (int i = 0; i < rows; ++i) {
      if (batch.full()) {
        CHECK(sink.Write(batch).ok());
        batch.Clear();
      }
      Slot* s = batch.Append();
      s[0].i64 = id;
      s[1].i64 = i;
      s[2].f64 = i * 0.5;
    }
    CHECK(sink.Write(batch).ok());
    (void)sink.Close();
  }

  static constexpr int kRefusedRows = 500;  // 5 messages; the queue holds 1000

  CurveOptions Client(const KeyPair& pair) {
    CurveOptions c;
    c.client = true;
    c.public_key = pair.public_key;
    c.secret_key = pair.secret_key;
    c.server_public_key = server.public_key;
    return c;
  }

  Schema schema = Readings();
  SymbolTable sender_symbols{1024, 1 << 16};
  SymbolTable receiver_symbols{1024, 1 << 16};
  KeyPair server = NewPair();
  KeyPair allowed = NewPair();
  int port = 0;
  ZmqSource* source = nullptr;
};

TEST(CurveLink, AnAllowedClientGetsEveryRowThrough) {
  uint64_t refused = zmq::RefusedClients();
  std::thread sender([&] { Send(Client(allowed), 1000, 5000); });
  size_t rows = CountRows(source, 4000);
  sender.join();
  LONGS_EQUAL(1000, rows);
  UNSIGNED_LONGLONGS_EQUAL(refused, zmq::RefusedClients());
}

TEST(CurveLink, AnUnlistedKeyIsRefusedAndGetsNothingThrough) {
  uint64_t refused = zmq::RefusedClients();
  std::thread sender([&] { Send(Client(NewPair()), kRefusedRows, 1000); });
  size_t rows = CountRows(source, 1500);
  sender.join();
  LONGS_EQUAL(0, rows);
  CHECK(zmq::RefusedClients() > refused);
}

TEST(CurveLink, AClientWithoutCurveIsRefusedAndGetsNothingThrough) {
  uint64_t refused = zmq::RefusedClients();
  std::thread sender([&] { Send(CurveOptions(), kRefusedRows, 1000); });
  size_t rows = CountRows(source, 1500);
  sender.join();
  LONGS_EQUAL(0, rows);
  CHECK(zmq::RefusedClients() > refused);
}

TEST(CurveLink, AClientExpectingAnotherServerKeyGetsNothingThrough) {
  CurveOptions c = Client(allowed);
  c.server_public_key = NewPair().public_key;
  uint64_t refused = zmq::RefusedClients();
  std::thread sender([&] { Send(c, kRefusedRows, 1000); });
  size_t rows = CountRows(source, 1500);
  sender.join();
  LONGS_EQUAL(0, rows);
  CHECK(zmq::RefusedClients() > refused);
}
