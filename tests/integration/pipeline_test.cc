// The device-to-gateway pipeline of examples/pipeline as four real runnel
// processes over tcp loopback: sensors (replaying a readings file) ->
// device (10 s summaries per device) -> gateway (30 s rollups per site) ->
// collector (CSV). Its output must equal the one-process graph
// examples/two_stage/graph.json run on the same readings: on the example's
// own input, and on 48,000 generated readings from 80 devices, out of order
// within the graph's 1 s bound and with some late ones.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

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

std::string Endpoint() {
  return "tcp://127.0.0.1:" + std::to_string(runnel::testing::FreePort());
}

// Readings of `sites` x `devices` devices, one per device about every
// second for `seconds`, in arrival order: each reading's timestamp is up to
// 900 ms early or late (within the graph's 1 s bound), and one in 500 is
// 3 s late (dropped as late by both runs alike).
std::string GenerateReadings(int sites, int devices, int seconds) {
  std::mt19937 random(7);
  std::string csv = "site,device,ts,temp\n";
  const int64_t start = 1700000000000;
  for (int s = 0; s < seconds; ++s) {
    for (int site = 0; site < sites; ++site) {
      for (int device = 0; device < devices; ++device) {
        int64_t ts = start + s * 1000 + static_cast<int64_t>(random() % 1801) - 900;
        if (random() % 500 == 0) ts -= 3000;
        double temp = 20 + (site * devices + device) % 17 + (random() % 1000) / 100.0;
        csv += "site-" + std::to_string(site) + ",dev-" + std::to_string(site) + "-" +
               std::to_string(device) + "," + std::to_string(ts) + "," +
               std::to_string(temp) + "\n";
      }
    }
  }
  return csv;
}

// Runs examples/two_stage/graph.json on `readings` (a copy in `dir`, as the
// graph reads readings.csv next to itself); returns its site rollup CSV.
std::string RunInOneProcess(const TempDir& dir, const std::string& readings) {
  dir.Write("readings.csv", readings);
  std::string graph = dir.Write("graph.json", ReadFile("examples/two_stage/graph.json"));
  ProcessResult run = RunProcess({"tools/runnel", "run", graph});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  return ReadFile(dir.File("site_rollup.out.csv"));
}

// Runs examples/pipeline's four graphs as four processes on the readings
// file `readings_path`; returns the collector's CSV. The graphs take their
// endpoints and paths from the environment, which the processes inherit
// from the test (set here, not through /usr/bin/env, which an emulated
// target build could not run).
std::string RunPipeline(const TempDir& dir, const std::string& readings_path) {
  setenv("READINGS", readings_path.c_str(), 1);
  setenv("DEVICE_ENDPOINT", Endpoint().c_str(), 1);
  setenv("GATEWAY_ENDPOINT", Endpoint().c_str(), 1);
  setenv("COLLECTOR_ENDPOINT", Endpoint().c_str(), 1);
  setenv("OUT", dir.File("collected.csv").c_str(), 1);
  auto Runnel = [](const std::string& graph) {
    return std::vector<std::string>{"tools/runnel", "run", "examples/pipeline/" + graph + ".json"};
  };
  // The listeners first, so no sender connects before its peer has bound.
  Process collector(Runnel("collector"));
  Process gateway(Runnel("gateway"));
  Process device(Runnel("device"));
  CHECK(collector.started() && gateway.started() && device.started());
  ProcessResult sensors = RunProcess(Runnel("sensors"));
  LONGS_EQUAL_TEXT(0, sensors.exit_code, sensors.err.c_str());
  for (Process* p : {&device, &gateway, &collector}) {
    CHECK_TEXT(p->Wait(60000), p->Err().c_str());
    LONGS_EQUAL_TEXT(0, p->exit_code(), p->Err().c_str());
    // Every batch crossed its link: no gap, no rejected frame.
    CHECK_TEXT(p->Err().find("gap") == std::string::npos, p->Err().c_str());
    CHECK_TEXT(p->Err().find("dropped") == std::string::npos, p->Err().c_str());
  }
  return ReadFile(dir.File("collected.csv"));
}

}  // namespace

TEST_GROUP(Pipeline){};

TEST(Pipeline, TheExampleGivesTheTwoStageExamplesRollup) {
  TempDir dir;
  std::string collected = RunPipeline(dir, "../two_stage/readings.csv");
  STRCMP_EQUAL(ReadFile("examples/two_stage/site_rollup.expected.csv").c_str(),
               collected.c_str());
}

TEST(Pipeline, FourProcessesMatchOneProcessOnManyOutOfOrderReadings) {
  TempDir reference_dir;
  TempDir pipeline_dir;
  std::string readings = GenerateReadings(/*sites=*/4, /*devices=*/20, /*seconds=*/600);
  std::string expected = RunInOneProcess(reference_dir, readings);
  // 4 sites x at least 20 windows of 30 s, and the header.
  CHECK(std::count(expected.begin(), expected.end(), '\n') > 80);
  std::string collected =
      RunPipeline(pipeline_dir, pipeline_dir.Write("readings.csv", readings));
  STRCMP_EQUAL(expected.c_str(), collected.c_str());
}
