// The windowed example through the real runnel binary: its outputs, and
// byte-identical results however the rows are batched.
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

// The example graph, reading the bundled readings and writing into `dir`,
// with `batch_rows` rows per batch.
std::string ExampleGraph(const TempDir& dir, int batch_rows) {
  std::string graph = ReadFile("examples/sensors/window_avg.json");
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = graph.find(from);
    CHECK_TEXT(at != std::string::npos, from.c_str());
    graph.replace(at, from.size(), to);
  };
  std::string readings = ReadFile("examples/sensors/readings.csv");
  dir.Write("readings.csv", readings);
  replace("\"name\": \"window_avg\",",
          "\"name\": \"window_avg\", \"batch_rows\": " + std::to_string(batch_rows) + ",");
  return dir.Write("window_avg.json", graph);
}

size_t CountLines(const std::string& text) {
  size_t lines = 0;
  for (char c : text) lines += (c == '\n');
  return lines;
}

}  // namespace

TEST_GROUP(WindowCli){};

TEST(WindowCli, ExampleWritesWindowsAndLateReadings) {
  TempDir dir;
  ProcessResult run = RunProcess({"tools/runnel", "run", ExampleGraph(dir, 1024), "--stats"});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  std::string windows = ReadFile(dir.File("window_avg.out.csv"));
  std::string late = ReadFile(dir.File("late_readings.out.csv"));
  CHECK(windows.rfind("device,window_start,window_end,count,avg,min,max\n", 0) == 0);
  CHECK(late.rfind("device,ts,temp,humidity\n", 0) == 0);
  // 8 devices x 42 windows of 10 s over 420 s (some windows straddle the end).
  CHECK(CountLines(windows) > 8 * 40);
  // The generator made a handful of readings 8-20 s late: beyond 2 s + 5 s.
  CHECK(CountLines(late) > 1);
  // Every reading is counted once: in a window or as late.
  size_t counted = 0;
  size_t at = windows.find('\n') + 1;
  while (at < windows.size()) {
    size_t end = windows.find('\n', at);
    std::string line = windows.substr(at, end - at);
    size_t c3 = 0;
    for (int comma = 0; comma < 3; ++comma) c3 = line.find(',', c3) + 1;
    counted += std::stoul(line.substr(c3, line.find(',', c3) - c3));
    at = end + 1;
  }
  LONGS_EQUAL(3360, counted + CountLines(late) - 1);
}

TEST(WindowCli, BatchSizeDoesNotChangeResults) {
  std::string first_windows, first_late;
  for (int batch_rows : {1, 7, 1024}) {
    TempDir dir;
    ProcessResult run = RunProcess({"tools/runnel", "run", ExampleGraph(dir, batch_rows)});
    LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
    std::string windows = ReadFile(dir.File("window_avg.out.csv"));
    std::string late = ReadFile(dir.File("late_readings.out.csv"));
    if (batch_rows == 1) {
      first_windows = windows;
      first_late = late;
    } else {
      STRCMP_EQUAL(first_windows.c_str(), windows.c_str());
      STRCMP_EQUAL(first_late.c_str(), late.c_str());
    }
  }
}
