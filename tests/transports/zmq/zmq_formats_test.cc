// The sensor formats of a zmq source over real ZeroMQ sockets on
// tcp://127.0.0.1 (no mocks): Reading messages, CSV frames (schema order or
// a header per frame) and JSON-lines frames become rows; bad readings and
// lines are dropped, counted and dead-lettered one by one while every valid
// row around them arrives, in order; batches and the closing heartbeat work
// in every format; missing values are nulls, but not a missing event time.
#include <unistd.h>
#include <zmq.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/schema/symbol_table.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/wire/reading_builder.h"
#include "tests/transports/zmq/dead_letters.h"
#include "tests/transports/zmq/free_port.h"
#include "tests/transports/zmq/link_fixture.h"
#include "transports/zmq/zmq_source.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

using namespace runnel;
using runnel::testing::DeadLetter;
using runnel::testing::Encoder;
using runnel::testing::Endpoint;
using runnel::testing::RawSender;
using runnel::testing::ReadAll;
using runnel::testing::ReadingSpec;
using runnel::testing::Readings;
using runnel::testing::Row;
using runnel::zmq::ZmqFormat;
using runnel::zmq::ZmqSource;
using runnel::zmq::ZmqSourceOptions;

namespace {

constexpr int64_t kNanosPerMs = 1000000;

// Sensor reading i: device, ts in ms, temp.
Row SensorRow(int i) { return {"s-" + std::to_string(i % 5), 1700000000000 + i * 100, i * 0.5}; }

Row InNanos(Row row) {
  row.ts *= kNanosPerMs;
  return row;
}

std::string Csv(const Row& r) {
  return r.device + "," + std::to_string(r.ts) + "," + std::to_string(r.temp);
}

std::string Json(const Row& r) {
  return "{\"device\":\"" + r.device + "\",\"ts\":" + std::to_string(r.ts) +
         ",\"temp\":" + std::to_string(r.temp) + "}";
}

}  // namespace

TEST_GROUP(ZmqFormats) {
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
  schema::SymbolTable symbols{1024, 1 << 16};
  runnel::testing::TempDir dir;
  int port = runnel::testing::FreePort();

  ZmqSourceOptions Options(ZmqFormat format) {
    ZmqSourceOptions o;
    o.name = "sensors";
    o.bind = {Endpoint(port)};
    o.end_after_producers = 1;  // the closing heartbeat each test sends last
    o.format = format;
    o.event_time_field = 1;  // ts
    o.dead_letter = dir.File("dead.rnld");
    return o;
  }

  std::vector<DeadLetter> DeadLetters() {
    bool whole = false;
    std::vector<DeadLetter> records = runnel::testing::ReadDeadLetters(dir.File("dead.rnld"),
                                                                        &whole);
    CHECK(whole);
    return records;
  }
};

TEST(ZmqFormats, ReadingsBecomeRows) {
  ZmqSource source(Options(ZmqFormat::kReading), Readings(), &symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  const int kReadings = 1000;
  std::vector<Row> expected;
  {
    RawSender sensor(ZMQ_PUSH, Endpoint(port));
    Encoder enc;
    for (int i = 0; i < kReadings; ++i) {
      Row r = SensorRow(i);
      ReadingSpec spec;
      spec.ts_ms = r.ts;
      spec.numbers = {{"temp", r.temp}, {"battery", 3.3}};
      spec.texts = {{"device", r.device}};
      sensor.Send({"sensors/temp", runnel::testing::EncodeReading(spec)});
      expected.push_back(InNanos(r));
      if (i % 100 == 50) {
        spec.texts.clear();  // no device
        sensor.Send({"sensors/temp", runnel::testing::EncodeReading(spec)});
        sensor.Send({"sensors/temp", "21.5"});  // not an envelope
      }
    }
    // A Runnel producer's batch is taken too, then its closing heartbeat.
    sensor.Send({"sensors/temp", enc.Batch(1, 0, 3)});
    for (int i = 0; i < 3; ++i) expected.push_back(runnel::testing::MakeRow(i));
    sensor.Send({"sensors/temp", enc.Closing(1)});
  }
  std::vector<Row> rows = ReadAll(&source, symbols, 30000);
  LONGS_EQUAL(expected.size(), rows.size());
  CHECK(rows == expected);
  UNSIGNED_LONGLONGS_EQUAL(20, source.rejected());
  std::vector<DeadLetter> dead = DeadLetters();
  LONGS_EQUAL(20, dead.size());
  STRCMP_CONTAINS("Reading: field 'device': missing", dead[0].reason.c_str());
  STRCMP_CONTAINS("not a Runnel envelope", dead[1].reason.c_str());
  STRCMP_EQUAL("21.5", dead[1].frame.c_str());
}

TEST(ZmqFormats, ReadingsAreDroppedByBatchSources) {
  ZmqSource source(Options(ZmqFormat::kBatch), Readings(), &symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  {
    RawSender sensor(ZMQ_PUSH, Endpoint(port));
    ReadingSpec spec;
    spec.numbers = {{"temp", 1}};
    spec.texts = {{"device", "d"}};
    sensor.Send({"sensors", runnel::testing::EncodeReading(spec)});
    sensor.Send({"sensors", Encoder().Closing(0)});
  }
  LONGS_EQUAL(0, ReadAll(&source, symbols, 10000).size());
  UNSIGNED_LONGLONGS_EQUAL(1, source.rejected());
  STRCMP_CONTAINS("format is not reading", DeadLetters()[0].reason.c_str());
}

TEST(ZmqFormats, CsvLinesInSchemaOrder) {
  ZmqSource source(Options(ZmqFormat::kCsv), Readings(), &symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  std::vector<Row> expected;
  {
    RawSender sensor(ZMQ_PUSH, Endpoint(port));
    int next = 0;
    for (int frame = 0; frame < 200; ++frame) {
      // 1 to 7 lines, CRLF or LF, a blank line, with a bad line now and then.
      std::string text;
      for (int line = 0; line <= frame % 7; ++line) {
        Row r = SensorRow(next++);
        text += Csv(r) + (line % 2 ? "\r\n" : "\n");
        expected.push_back(InNanos(r));
        if (line == 2) text += "\n";
        if (line == 3 && frame % 2) text += "dev,not-a-time,1.0\n";
      }
      if (frame % 3 == 0) text.pop_back();  // no final line break
      sensor.Send({"sensors", text});
    }
    sensor.Send({"sensors", Encoder().Closing(0)});
  }
  std::vector<Row> rows = ReadAll(&source, symbols, 30000);
  LONGS_EQUAL(expected.size(), rows.size());
  CHECK(rows == expected);
  std::vector<DeadLetter> dead = DeadLetters();
  UNSIGNED_LONGLONGS_EQUAL(dead.size(), source.rejected());
  CHECK(dead.size() > 40);
  STRCMP_CONTAINS("line 6: column 'ts': expected ts, found 'not-a-time'",
                  dead[0].reason.c_str());
  STRCMP_EQUAL("dev,not-a-time,1.0", dead[0].frame.c_str());  // the line alone
}

TEST(ZmqFormats, CsvHeaderPerFrame) {
  ZmqSourceOptions o = Options(ZmqFormat::kCsv);
  o.csv_header = true;
  ZmqSource source(o, Readings(), &symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  {
    RawSender sensor(ZMQ_PUSH, Endpoint(port));
    sensor.Send({"sensors", "temp,battery,device,ts\n1.5,3.3,a,1000\n2.5,3.2,b,2000\n"});
    sensor.Send({"sensors", "device,temp\nc,3.5\n"});  // no ts column: all dropped
    sensor.Send({"sensors", "ts,device,temp\n3000,c,3.5"});
    sensor.Send({"sensors", Encoder().Closing(0)});
  }
  std::vector<Row> rows = ReadAll(&source, symbols, 10000);
  std::vector<Row> expected = {{"a", 1000 * kNanosPerMs, 1.5},
                               {"b", 2000 * kNanosPerMs, 2.5},
                               {"c", 3000 * kNanosPerMs, 3.5}};
  CHECK(rows == expected);
  UNSIGNED_LONGLONGS_EQUAL(1, source.rejected());
  STRCMP_CONTAINS("line 1: header has no column 'ts'", DeadLetters()[0].reason.c_str());
}

TEST(ZmqFormats, JsonLines) {
  ZmqSource source(Options(ZmqFormat::kJsonl), Readings(), &symbols, SystemClock::Get());
  CHECK(source.Open().ok());
  std::vector<Row> expected;
  {
    RawSender sensor(ZMQ_PUSH, Endpoint(port));
    int next = 0;
    for (int frame = 0; frame < 200; ++frame) {
      std::string text;
      for (int line = 0; line <= frame % 5; ++line) {
        Row r = SensorRow(next++);
        text += Json(r) + "\n";
        expected.push_back(InNanos(r));
        if (line == 1) text += "{\"device\":\"x\",\"ts\":\"soon\",\"temp\":1}\n";
        if (line == 2) text += "{\"device\":\"x\",\"ts\":1,\"temp\":1,\"extra\":[1]}\n";  // ok
        if (line == 2) expected.push_back({"x", kNanosPerMs, 1});
      }
      sensor.Send({"sensors", text});
    }
    sensor.Send({"sensors", "{not json\n"});
    sensor.Send({"sensors", Encoder().Closing(0)});
  }
  std::vector<Row> rows = ReadAll(&source, symbols, 30000);
  LONGS_EQUAL(expected.size(), rows.size());
  CHECK(rows == expected);
  std::vector<DeadLetter> dead = DeadLetters();
  UNSIGNED_LONGLONGS_EQUAL(dead.size(), source.rejected());
  STRCMP_CONTAINS("line 3: field 'ts'", dead[0].reason.c_str());
  STRCMP_CONTAINS("line 1: ", dead.back().reason.c_str());
}

// Missing values in text frames are nulls (temp NaN), as in files; a line
// without its event time is dropped and dead-lettered.
TEST(ZmqFormats, MissingValuesAreNullsButEventTimeIsRequired) {
  for (ZmqFormat format : {ZmqFormat::kCsv, ZmqFormat::kJsonl}) {
    ZmqSource source(Options(format), Readings(), &symbols, SystemClock::Get());
    CHECK(source.Open().ok());
    {
      RawSender sensor(ZMQ_PUSH, Endpoint(port));
      sensor.Send({"sensors", format == ZmqFormat::kCsv
                                  ? "a,1000,\nb,,3.5\nc,3000,4.5\n"
                                  : "{\"device\":\"a\",\"ts\":1000,\"temp\":null}\n"
                                    "{\"device\":\"b\",\"temp\":3.5}\n"
                                    "{\"device\":\"c\",\"ts\":3000,\"temp\":4.5}\n"});
      sensor.Send({"sensors", Encoder().Closing(0)});
    }
    std::vector<Row> rows = ReadAll(&source, symbols, 10000);
    LONGS_EQUAL(2, rows.size());
    STRCMP_EQUAL("a", rows[0].device.c_str());
    CHECK(std::isnan(rows[0].temp));
    CHECK(rows[1] == (Row{"c", 3000 * kNanosPerMs, 4.5}));
    std::vector<DeadLetter> dead = DeadLetters();
    LONGS_EQUAL(1, dead.size());
    STRCMP_CONTAINS("line 2: ", dead[0].reason.c_str());
    STRCMP_CONTAINS("ts", dead[0].reason.c_str());
    port = runnel::testing::FreePort();
    unlink(dir.File("dead.rnld").c_str());
  }
}
