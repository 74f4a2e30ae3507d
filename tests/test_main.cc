// The main() every CppUTest suite links: runs all tests in the binary, or,
// when Bazel shards the suite (shard_count in its BUILD rule), this shard's:
// the tests in registration order, dealt out round-robin.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/TestRegistry.h>

int main(int argc, char** argv) {
  const char* total_env = std::getenv("TEST_TOTAL_SHARDS");
  const char* index_env = std::getenv("TEST_SHARD_INDEX");
  const int total = total_env != nullptr ? std::atoi(total_env) : 1;
  const int index = index_env != nullptr ? std::atoi(index_env) : 0;
  if (total <= 1) return CommandLineTestRunner::RunAllTests(argc, argv);
  // Tells Bazel this runner shards.
  if (const char* status = std::getenv("TEST_SHARD_STATUS_FILE")) {
    if (FILE* f = std::fopen(status, "w")) std::fclose(f);
  }
  std::vector<std::string> args(argv, argv + argc);
  int tests = 0;
  bool any = false;
  for (UtestShell* test = TestRegistry::getCurrentRegistry()->getFirstTest(); test != nullptr;
       test = test->getNext(), ++tests) {
    if (tests % total != index) continue;
    any = true;
    args.insert(args.end(), {"-sg", test->getGroup().asCharString(), "-sn",
                             test->getName().asCharString()});
  }
  if (!any) {  // more shards than tests: this one has none
    std::printf("OK (%d tests, 0 ran, 0 checks, 0 ignored, %d filtered out, 0 ms)\n", tests,
                tests);
    return 0;
  }
  std::vector<const char*> pointers;
  for (const std::string& arg : args) pointers.push_back(arg.c_str());
  return CommandLineTestRunner::RunAllTests(static_cast<int>(pointers.size()), pointers.data());
}
