// CURVE with the real runnel binary: `runnel keygen` writes a valid key
// pair with mode 0600 and refuses to overwrite; `runnel check` reports bad
// key files, bad keys and options on the wrong side with FILE:LINE; and two
// real processes over tcp://127.0.0.1 — a receiver allowing one client key,
// a sender with that key (every row arrives) or another (no row arrives,
// the receiver logs the refused key).
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "tests/testing/process.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/zmq/free_port.h"
#include "transports/zmq/curve.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::Result;
using runnel::testing::Process;
using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;
using runnel::zmq::KeyPair;

namespace {

const char kSchema[] = R"("schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts", "unit": "ms" },
    { "name": "temp", "type": "f64" } ] }],)";

std::string Graph(const std::string& source, const std::string& sink) {
  return std::string("{\n") + kSchema + "\n\"sources\": [{ \"name\": \"readings\", " +
         "\"schema\": \"reading\",\n" + source + " }],\n" +
         "\"sinks\": [{ \"name\": \"out\", \"input\": \"readings\",\n" + sink + " }] }\n";
}

KeyPair Keygen(const TempDir& dir, const std::string& name) {
  ProcessResult run = RunProcess({"tools/runnel", "keygen", dir.File(name)});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  Result<KeyPair> pair = runnel::zmq::ReadKeyPairFile(dir.File(name));
  CHECK_TEXT(pair.ok(), pair.status().message().c_str());
  return pair.value();
}

// `key` as written in a graph string: `$$` for each `$` (a Z85 key may
// hold `$`, which environment substitution would otherwise take).
std::string InGraph(const std::string& key) {
  std::string text;
  for (char c : key) text += c == '$' ? "$$" : std::string(1, c);
  return text;
}

// Lines in `text`.
size_t Lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST_GROUP(CurveCli){};

TEST(CurveCli, KeygenWritesAValidPairReadableByItsOwnerOnly) {
  TempDir dir;
  KeyPair pair = Keygen(dir, "a.key");
  struct stat st;
  LONGS_EQUAL(0, stat(dir.File("a.key").c_str(), &st));
  LONGS_EQUAL(0600, st.st_mode & 0777);
  std::string text = ReadFile(dir.File("a.key"));
  STRCMP_CONTAINS(("public: " + pair.public_key + "\n").c_str(), text.c_str());
  STRCMP_CONTAINS(("secret: " + pair.secret_key + "\n").c_str(), text.c_str());

  ProcessResult again = RunProcess({"tools/runnel", "keygen", dir.File("a.key")});
  LONGS_EQUAL(1, again.exit_code);
  STRCMP_CONTAINS("--force", again.err.c_str());
  STRCMP_EQUAL(text.c_str(), ReadFile(dir.File("a.key")).c_str());

  ProcessResult forced = RunProcess({"tools/runnel", "keygen", dir.File("a.key"), "--force"});
  LONGS_EQUAL_TEXT(0, forced.exit_code, forced.err.c_str());
  CHECK(text != ReadFile(dir.File("a.key")));

  ProcessResult help = RunProcess({"tools/runnel", "keygen", "--help"});
  LONGS_EQUAL(0, help.exit_code);
  STRCMP_CONTAINS("Usage: runnel keygen OUT", help.out.c_str());
  LONGS_EQUAL(2, RunProcess({"tools/runnel", "keygen"}).exit_code);
}

TEST(CurveCli, CheckReportsBadKeyFilesKeysAndSides) {
  TempDir dir;
  KeyPair server = Keygen(dir, "server.key");
  dir.Write("bad.key", "public: tooshort\nsecret: x\n");
  std::string graph = dir.Write(
      "bad.json",
      Graph(R"("zmq": { "bind": ["tcp://127.0.0.1:1"], "curve": {
    "secret_key_file": "bad.key",
    "allowed_clients": ["abc"],
    "server_public_key": ")" + InGraph(server.public_key) + R"(" } })",
            R"("zmq": { "connect": ["tcp://127.0.0.1:1"], "channel": "c", "curve": {
    "key_file": "missing.key",
    "server_public_key": "short",
    "allowed_clients_file": "server.key" } })"));
  ProcessResult run = RunProcess({"tools/runnel", "check", graph});
  LONGS_EQUAL_TEXT(2, run.exit_code, run.err.c_str());
  const char* err = run.err.c_str();
  STRCMP_CONTAINS("bad.json:7: sources[0].zmq.curve.secret_key_file: ", err);
  STRCMP_CONTAINS("bad.key: line 1: public key: a CURVE key is 40 Z85 characters, found 8", err);
  STRCMP_CONTAINS("sources[0].zmq.curve.allowed_clients[0]: a CURVE key is 40 Z85", err);
  STRCMP_CONTAINS("sources[0].zmq.curve.server_public_key: is for a connecting (client) socket",
                  err);
  STRCMP_CONTAINS("sinks[0].zmq.curve.key_file: ", err);
  STRCMP_CONTAINS("missing.key: cannot read", err);
  STRCMP_CONTAINS("sinks[0].zmq.curve.server_public_key: a CURVE key is 40 Z85", err);
  STRCMP_CONTAINS("sinks[0].zmq.curve.allowed_clients_file: is for a binding (server)", err);

  std::string good = dir.Write(
      "good.json",
      Graph(R"("zmq": { "bind": ["tcp://127.0.0.1:1"], "curve": {
    "secret_key_file": "server.key",
    "allowed_clients": [")" + InGraph(server.public_key) + R"("] } })",
            R"("csv": { "path": "out.csv" })"));
  ProcessResult ok = RunProcess({"tools/runnel", "check", good});
  LONGS_EQUAL_TEXT(0, ok.exit_code, ok.err.c_str());
}

// A Z85 key may hold `$`; in a graph string it is written `$$`, and a key
// that lost a `$` to substitution is reported with that hint.
TEST(CurveCli, ADollarInAKeyIsWrittenDoubledInAGraph) {
  TempDir dir;
  Keygen(dir, "client.key");
  const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf$";  // 40, ends in `$`
  auto Check = [&](const std::string& written) {
    std::string graph = dir.Write(
        "graph.json",
        Graph(R"("generator": { "rows": 1 })",
              R"("zmq": { "connect": ["tcp://127.0.0.1:1"], "channel": "c", "curve": {
    "key_file": "client.key", "server_public_key": ")" + written + R"(" } })"));
    return RunProcess({"tools/runnel", "check", graph});
  };
  ProcessResult doubled = Check(InGraph(key));
  LONGS_EQUAL_TEXT(0, doubled.exit_code, doubled.err.c_str());
  ProcessResult lost = Check("abc$$" + key.substr(5));  // 39 after substitution
  LONGS_EQUAL(2, lost.exit_code);
  STRCMP_CONTAINS("found 39 (each `$` of a key is written `$$` in a graph file)",
                  lost.err.c_str());
}

TEST(CurveCli, OnlyTheAllowedClientGetsRowsThrough) {
  TempDir dir;
  KeyPair server = Keygen(dir, "server.key");
  KeyPair allowed = Keygen(dir, "allowed.key");
  KeyPair other = Keygen(dir, "other.key");
  dir.Write("allowed_clients", "# devices\npublic: " + allowed.public_key + "\n");
  const std::string generator =
      R"("generator": { "rows": 2000, "keys": 5, "seed": 1, "interval_ms": 1 })";

  for (const char* client : {"allowed.key", "other.key"}) {
    bool right = std::string(client) == "allowed.key";
    std::string endpoint = "tcp://127.0.0.1:" + std::to_string(runnel::testing::FreePort());
    std::string receiver = dir.Write(
        "receiver.json",
        Graph(R"("zmq": { "bind": [")" + endpoint + R"("], "end_after_producers": 1,
          "curve": { "secret_key_file": "server.key",
                     "allowed_clients_file": "allowed_clients" } })",
              R"("csv": { "path": "received.csv" })"));
    std::string sender = dir.Write(
        "sender.json",
        Graph(generator, R"("zmq": { "connect": [")" + endpoint + R"("], "channel": "r",
          "linger_ms": 1000, "curve": { "server_public_key": ")" + InGraph(server.public_key) +
                             R"(", "key_file": ")" + client + "\" } }"));
    Process receiving({"tools/runnel", "run", receiver});
    CHECK(receiving.started());
    ProcessResult sent = RunProcess({"tools/runnel", "run", sender});
    if (right) {
      LONGS_EQUAL_TEXT(0, sent.exit_code, sent.err.c_str());
      CHECK_TEXT(receiving.Wait(5000), receiving.Err().c_str());
      LONGS_EQUAL_TEXT(0, receiving.exit_code(), receiving.Err().c_str());
      LONGS_EQUAL(2001, Lines(ReadFile(dir.File("received.csv"))));
      CHECK(receiving.Err().find("refused") == std::string::npos);
    } else {
      receiving.Signal(SIGTERM);
      CHECK_TEXT(receiving.Wait(5000), receiving.Err().c_str());
      LONGS_EQUAL(1, Lines(ReadFile(dir.File("received.csv"))));  // the header only
      STRCMP_CONTAINS(("runnel: zmq: refused client " + other.public_key + " on " + endpoint)
                          .c_str(),
                      receiving.Err().c_str());
    }
  }
}
