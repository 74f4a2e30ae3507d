// Replays every input of a fuzz corpus through its fuzz target with the
// normal toolchain, so the seeds and every input that once crashed a target
// (kept there as regressions) run in `bazel test //...` and under
// --config=asan, without clang or libFuzzer. tests/fuzz/BUILD builds it once
// per target, with RUNNEL_FUZZ_CORPUS naming the corpus folder.
#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr const char* kCorpus = RUNNEL_FUZZ_CORPUS;

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

TEST_GROUP(FuzzCorpus){};

TEST(FuzzCorpus, EveryInputRunsWithoutCrashing) {
  std::vector<std::string> names = CorpusFiles();
  // Every corpus has its seeds at least.
  CHECK_TEXT(names.size() >= 5, (std::string(kCorpus) + " is missing or nearly empty").c_str());
  for (const std::string& name : names) {
    std::ifstream in(std::string(kCorpus) + "/" + name, std::ios::binary);
    CHECK_TEXT(in.good(), name.c_str());
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    UT_PRINT(name.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}
