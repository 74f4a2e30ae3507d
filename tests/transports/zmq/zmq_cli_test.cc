// Two real runnel processes over tcp://127.0.0.1: a generator -> zmq sink
// graph and a zmq source -> windows -> CSV graph, whose output must equal
// the same computation done in one process; and a job whose zmq sink has
// no peer still ends on SIGTERM, reporting the rows it could not deliver.
#include <csignal>
#include <string>

#include "tests/testing/process.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/zmq/free_port.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::Process;
using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

const char kSchema[] = R"("schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts", "unit": "ms" },
    { "name": "temp", "type": "f64" } ] }],)";

const char kGenerator[] =
    R"("generator": { "rows": 50000, "keys": 20, "seed": 3, "interval_ms": 7 })";

const char kWindows[] = R"("operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device", "window": { "type": "tumbling",
      "size_ms": 5000, "values": ["count() as n", "avg(temp) as avg", "max(temp) as max"],
      "emit": "final" } } ],)";

std::string Graph(const std::string& name, const std::string& source_kind,
                  const std::string& operators, const std::string& sink_input,
                  const std::string& sink_kind) {
  return "{ \"name\": \"" + name + "\", " + kSchema +
         R"( "sources": [{ "name": "readings", "schema": "reading", )" + source_kind +
         R"(, "event_time": { "field": "ts" } }], )" + operators +
         R"( "sinks": [{ "name": "out", "input": ")" + sink_input + "\", " + sink_kind + "}] }";
}

}  // namespace

TEST_GROUP(ZmqCli){};

TEST(ZmqCli, TwoProcessesMatchOneProcess) {
  TempDir dir;
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(runnel::testing::FreePort());
  std::string one = dir.Write(
      "one.json", Graph("one", kGenerator, kWindows, "windows",
                        R"("csv": { "path": ")" + dir.File("one.csv") + "\" }"));
  std::string sender = dir.Write(
      "sender.json",
      Graph("sender", kGenerator, "", "readings",
            R"("zmq": { "connect": [")" + endpoint + R"("], "channel": "readings",
                "batch_rows": 300 })"));
  std::string receiver = dir.Write(
      "receiver.json",
      Graph("receiver",
            R"("zmq": { "bind": [")" + endpoint + R"("], "end_after_producers": 1 })", kWindows,
            "windows", R"("csv": { "path": ")" + dir.File("two.csv") + "\" }"));

  ProcessResult reference = RunProcess({"tools/runnel", "run", one});
  LONGS_EQUAL_TEXT(0, reference.exit_code, reference.err.c_str());

  Process receiving({"tools/runnel", "run", receiver, "--stats"});
  CHECK(receiving.started());
  ProcessResult sent = RunProcess({"tools/runnel", "run", sender});
  LONGS_EQUAL_TEXT(0, sent.exit_code, sent.err.c_str());
  CHECK_TEXT(receiving.Wait(60000), receiving.Err().c_str());
  LONGS_EQUAL_TEXT(0, receiving.exit_code(), receiving.Err().c_str());

  std::string expected = ReadFile(dir.File("one.csv"));
  CHECK(expected.size() > 1000);
  STRCMP_EQUAL(expected.c_str(), ReadFile(dir.File("two.csv")).c_str());
}

TEST(ZmqCli, CheckReportsZmqOptionErrors) {
  TempDir dir;
  std::string bad = dir.Write(
      "bad.json", Graph("bad", kGenerator, "", "readings", R"("zmq": { "channel": "" })"));
  ProcessResult run = RunProcess({"tools/runnel", "check", bad});
  LONGS_EQUAL_TEXT(2, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("sinks[0].zmq: needs at least one endpoint", run.err.c_str());
  STRCMP_CONTAINS("sinks[0].zmq.channel: must be 1 to 255 bytes", run.err.c_str());

  std::string source = dir.Write(
      "source.json",
      Graph("source", R"("zmq": { "bind": ["inproc://x"], "dead_letter": "",
                                  "format": "jsonl", "csv_header": true, "max_line_bytes": 10 })",
            "", "readings", R"("csv": { "path": "-" })"));
  run = RunProcess({"tools/runnel", "check", source});
  LONGS_EQUAL_TEXT(2, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("sources[0].zmq.dead_letter: expected a file path", run.err.c_str());
  STRCMP_CONTAINS("sources[0].zmq.csv_header: applies to format csv only", run.err.c_str());
  STRCMP_CONTAINS("sources[0].zmq.max_line_bytes: must be at least 64", run.err.c_str());
}

TEST(ZmqCli, SigtermEndsAJobWhoseSinkWaitsForAMissingPeer) {
  TempDir dir;
  std::string nobody = "tcp://127.0.0.1:" + std::to_string(runnel::testing::FreePort());
  std::string graph = dir.Write(
      "stuck.json",
      Graph("stuck", R"("generator": { "rows": 100000000, "keys": 20 })", "", "readings",
            R"("zmq": { "connect": [")" + nobody + R"("], "channel": "readings",
                "peer_timeout_ms": 100, "linger_ms": 300 })"));
  Process run({"tools/runnel", "run", graph});
  CHECK(run.started());
  CHECK_TEXT(run.WaitForErr(
                 [](const std::string& err) {
                   return err.find("no peer has taken a batch") != std::string::npos;
                 },
                 20000),
             run.Err().c_str());
  CHECK(run.Signal(SIGTERM));
  CHECK_TEXT(run.Wait(20000), "runnel still waits for its peer after SIGTERM");
  LONGS_EQUAL_TEXT(1, run.exit_code(), run.Err().c_str());
  STRCMP_CONTAINS("rows not delivered", run.Err().c_str());
}
