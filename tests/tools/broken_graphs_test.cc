// The corpus of broken graphs (tests/graphs/broken/): `runnel check` on each
// NAME.json exits 2 and prints exactly the lines of NAME.expected (stderr,
// with the directory left out of file names). A graph without its
// .expected file, or an .expected without its graph, fails the test.
#include <CppUTest/TestHarness.h>

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;

namespace {

constexpr const char* kDir = "tests/graphs/broken/";

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string WithoutDir(std::string text) {
  const std::string dir = kDir;
  for (size_t at = text.find(dir); at != std::string::npos; at = text.find(dir, at)) {
    text.erase(at, dir.size());
  }
  return text;
}

}  // namespace

TEST_GROUP(BrokenGraphs) {};

TEST(BrokenGraphs, EveryGraphHasItsExpectedOutput) {
  std::vector<std::string> files = FilesIn(kDir);
  size_t graphs = 0;
  for (const std::string& name : files) {
    if (EndsWith(name, ".json")) {
      ++graphs;
      std::string expected = name.substr(0, name.size() - 5) + ".expected";
      if (!std::binary_search(files.begin(), files.end(), expected)) {
        FAIL((name + " has no " + expected + " (its expected runnel check output)").c_str());
      }
    } else if (EndsWith(name, ".expected")) {
      std::string graph = name.substr(0, name.size() - 9) + ".json";
      if (!std::binary_search(files.begin(), files.end(), graph)) {
        FAIL((name + " has no " + graph).c_str());
      }
    } else {
      FAIL(("unexpected file " + name + " (expected NAME.json and NAME.expected)").c_str());
    }
  }
  // The issue asks for at least 25 broken graphs.
  CHECK_TRUE(graphs >= 30);
}

TEST(BrokenGraphs, CheckReportsTheExpectedLinesAndExitsTwo) {
  for (const std::string& name : FilesIn(kDir)) {
    if (!EndsWith(name, ".json")) continue;
    std::string path = kDir + name;
    ProcessResult check = RunProcess({"tools/runnel", "check", path});
    std::string expected =
        ReadFile(kDir + name.substr(0, name.size() - 5) + ".expected");
    std::string label = name + ": exit code";
    LONGS_EQUAL_TEXT(2, check.exit_code, label.c_str());
    STRCMP_EQUAL_TEXT(expected.c_str(), WithoutDir(check.err).c_str(), name.c_str());
    STRCMP_EQUAL_TEXT("", check.out.c_str(), name.c_str());
  }
}
