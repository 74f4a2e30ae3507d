// `runnel compile`: the real binary compiles graphs, the compiled form runs
// byte-for-byte like the JSON, and write failures are reported clearly.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

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

constexpr const char* kRunnel = "tools/runnel";

ProcessResult Runnel(std::vector<std::string> args) {
  args.insert(args.begin(), kRunnel);
  return RunProcess(args);
}

// Copies examples/sensors/NAME and the readings into `dir`; returns the copy.
std::string CopyExample(const TempDir& dir, const std::string& name) {
  dir.Write("readings.csv", ReadFile("examples/sensors/readings.csv"));
  return dir.Write(name, ReadFile("examples/sensors/" + name));
}

std::vector<std::string> Entries(const std::string& path) {
  std::vector<std::string> names;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

// "plan of PATH: REST" without the path.
std::string PlanBody(const std::string& out) { return out.substr(out.find(": ")); }

}  // namespace

TEST_GROUP(CompileCli) {
  TempDir dir;
};

TEST(CompileCli, CompiledGraphRunsLikeTheJson) {
  std::string json = CopyExample(dir, "hot_readings.json");
  std::string bin = dir.File("hot_readings.bin");
  ProcessResult compile = Runnel({"compile", json, "-o", bin});
  LONGS_EQUAL(0, compile.exit_code);
  STRCMP_EQUAL("", compile.err.c_str());
  STRCMP_CONTAINS(("compiled to " + bin).c_str(), compile.out.c_str());
  std::string bytes = ReadFile(bin);
  CHECK(bytes.size() > 8);
  STRCMP_EQUAL("RNLG", bytes.substr(4, 4).c_str());

  ProcessResult from_json = Runnel({"run", json});
  ProcessResult from_bin = Runnel({"run", bin});
  LONGS_EQUAL(0, from_json.exit_code);
  LONGS_EQUAL(0, from_bin.exit_code);
  CHECK(from_json.out.size() > 1000);
  CHECK(from_json.out == from_bin.out);  // byte for byte

  ProcessResult check = Runnel({"check", bin});
  LONGS_EQUAL(0, check.exit_code);
  STRCMP_EQUAL((bin + ": ok\n").c_str(), check.out.c_str());
  ProcessResult plan_json = Runnel({"plan", json});
  ProcessResult plan_bin = Runnel({"plan", bin});
  LONGS_EQUAL(0, plan_bin.exit_code);
  STRCMP_EQUAL(PlanBody(plan_json.out).c_str(), PlanBody(plan_bin.out).c_str());
}

TEST(CompileCli, CompiledWindowGraphWritesTheSameFiles) {
  std::string json = CopyExample(dir, "window_avg.json");
  std::string bin = dir.File("window_avg.bin");
  LONGS_EQUAL(0, Runnel({"compile", json, "-o", bin}).exit_code);
  LONGS_EQUAL(0, Runnel({"run", json}).exit_code);
  std::string averages = ReadFile(dir.File("window_avg.out.csv"));
  std::string late = ReadFile(dir.File("late_readings.out.csv"));
  CHECK(!averages.empty());
  unlink(dir.File("window_avg.out.csv").c_str());
  unlink(dir.File("late_readings.out.csv").c_str());
  LONGS_EQUAL(0, Runnel({"run", bin}).exit_code);
  CHECK(averages == ReadFile(dir.File("window_avg.out.csv")));
  CHECK(late == ReadFile(dir.File("late_readings.out.csv")));
}

TEST(CompileCli, RelativePathsResolveAgainstTheCompiledFilesDirectory) {
  std::string json = CopyExample(dir, "hot_readings.json");
  mkdir(dir.File("device").c_str(), 0755);
  std::string bin = dir.File("device/hot.bin");
  ProcessResult compile = Runnel({"compile", json, "-o", bin});
  LONGS_EQUAL(0, compile.exit_code);
  STRCMP_CONTAINS("WARN ", compile.err.c_str());
  STRCMP_CONTAINS("relative paths (readings.csv) resolve against the directory of the file "
                  "loaded",
                  compile.err.c_str());

  ProcessResult missing = Runnel({"run", bin});
  LONGS_EQUAL(1, missing.exit_code);
  STRCMP_CONTAINS((dir.File("device/readings.csv") + ": No such file").c_str(),
                  missing.err.c_str());

  dir.Write("device/readings.csv", ReadFile(dir.File("readings.csv")));
  ProcessResult run = Runnel({"run", bin});
  LONGS_EQUAL(0, run.exit_code);
  CHECK(run.out == Runnel({"run", json}).out);
}

TEST(CompileCli, ReplacesAnExistingFileKeepingItsMode) {
  std::string json = CopyExample(dir, "hot_readings.json");
  std::string bin = dir.Write("hot.bin", "old contents");
  chmod(bin.c_str(), 0640);
  LONGS_EQUAL(0, Runnel({"compile", json, "-o", bin}).exit_code);
  STRCMP_EQUAL("RNLG", ReadFile(bin).substr(4, 4).c_str());
  struct stat st;
  LONGS_EQUAL(0, stat(bin.c_str(), &st));
  LONGS_EQUAL(0640, st.st_mode & 07777);
  LONGS_EQUAL(3, Entries(dir.path()).size());  // json, csv, bin: no temporary left
}

TEST(CompileCli, WriteErrorsAreReportedAndLeaveNothingBehind) {
  std::string json = CopyExample(dir, "hot_readings.json");

  ProcessResult not_dir = Runnel({"compile", json, "-o", "/dev/full/x.bin"});
  LONGS_EQUAL(1, not_dir.exit_code);
  STRCMP_CONTAINS("runnel: cannot write /dev/full/x.bin: Not a directory", not_dir.err.c_str());

  ProcessResult device = Runnel({"compile", json, "-o", "/dev/full"});
  LONGS_EQUAL(1, device.exit_code);
  STRCMP_CONTAINS("cannot write /dev/full: it exists and is not a regular file",
                  device.err.c_str());

  std::string absent = dir.File("absent/x.bin");
  ProcessResult no_dir = Runnel({"compile", json, "-o", absent});
  LONGS_EQUAL(1, no_dir.exit_code);
  STRCMP_CONTAINS(("cannot write " + absent + ": No such file or directory").c_str(),
                  no_dir.err.c_str());

  if (geteuid() != 0) {  // root writes anywhere
    mkdir(dir.File("locked").c_str(), 0555);
    std::string locked = dir.File("locked/x.bin");
    ProcessResult denied = Runnel({"compile", json, "-o", locked});
    LONGS_EQUAL(1, denied.exit_code);
    STRCMP_CONTAINS(("cannot write " + locked + ": Permission denied").c_str(),
                    denied.err.c_str());
    chmod(dir.File("locked").c_str(), 0755);
  }
  std::vector<std::string> left = Entries(dir.path());
  for (const std::string& name : left) {
    CHECK_TEXT(name.find(".tmp.") == std::string::npos, name.c_str());
  }
}

TEST(CompileCli, InvalidGraphIsNotWritten) {
  std::string json = dir.Write("bad.json", R"({
  "schemas": [{ "name": "r", "fields": [{ "name": "x", "type": "i64" }] }],
  "sources": [{ "name": "in", "schema": "r", "csv": { "path": "in.csv" } }],
  "sinks": [{ "name": "out", "input": "nowhere", "csv": { "path": "-" } }]
})");
  std::string bin = dir.File("bad.bin");
  ProcessResult compile = Runnel({"compile", json, "-o", bin});
  LONGS_EQUAL(2, compile.exit_code);
  STRCMP_CONTAINS((json + ":4: sinks[0].input:").c_str(), compile.err.c_str());
  CHECK(ReadFile(bin).empty());
  CHECK(access(bin.c_str(), F_OK) != 0);
}

TEST(CompileCli, UsageErrors) {
  std::string json = CopyExample(dir, "hot_readings.json");
  ProcessResult no_output = Runnel({"compile", json});
  LONGS_EQUAL(2, no_output.exit_code);
  STRCMP_CONTAINS("compile needs -o OUT", no_output.err.c_str());
  STRCMP_CONTAINS("Usage: runnel compile GRAPH -o OUT", no_output.err.c_str());
  LONGS_EQUAL(2, Runnel({"compile", json, "-o"}).exit_code);
  ProcessResult itself = Runnel({"compile", json, "-o", json});
  LONGS_EQUAL(2, itself.exit_code);
  STRCMP_CONTAINS("would overwrite its input", itself.err.c_str());
  CHECK(ReadFile(json) == ReadFile("examples/sensors/hot_readings.json"));
  LONGS_EQUAL(2, Runnel({"compile", json, "-o", dir.File("x.bin"), "--fast"}).exit_code);
}

TEST(CompileCli, CorruptCompiledGraphIsRejected) {
  std::string json = CopyExample(dir, "hot_readings.json");
  std::string bin = dir.File("hot.bin");
  LONGS_EQUAL(0, Runnel({"compile", json, "-o", bin}).exit_code);
  std::string bytes = ReadFile(bin);
  std::string truncated = dir.Write("truncated.bin", bytes.substr(0, bytes.size() / 2));
  ProcessResult check = Runnel({"check", truncated});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_CONTAINS("compiled graph is corrupt or truncated", check.err.c_str());
}
