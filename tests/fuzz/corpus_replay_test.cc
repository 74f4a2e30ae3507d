// Replays every input under tests/fuzz/corpus/ through the graph-file fuzz
// target with the normal toolchain, so the seeds and every input that once
// crashed the loader (kept there as regressions) run in `bazel test //...`
// and under --config=asan, without clang or libFuzzer.
#include <CppUTest/TestHarness.h>
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr const char* kCorpus = "tests/fuzz/corpus";

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> names;
  DIR* dir = opendir(kCorpus);
  if (dir == nullptr) return names;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') names.push_back(entry->d_name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_GROUP(GraphFileFuzzCorpus){};

TEST(GraphFileFuzzCorpus, EveryInputLoadsWithoutCrashing) {
  std::vector<std::string> names = CorpusFiles();
  // The examples, hand-written variants and compiled forms at least.
  CHECK_TEXT(names.size() >= 10, "tests/fuzz/corpus is missing or nearly empty");
  for (const std::string& name : names) {
    std::ifstream in(std::string(kCorpus) + "/" + name, std::ios::binary);
    CHECK_TEXT(in.good(), name.c_str());
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    UT_PRINT(name.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}
