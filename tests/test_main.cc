// The main() every CppUTest suite links: runs all tests in the binary, or,
// when Bazel shards the suite (shard_count in its BUILD rule), this shard's:
// the tests in registration order, dealt out round-robin.
#include <cstdio>
#include <cstdlib>
#include <set>
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
  // CppUTest runs a test whose group is any -sg given and whose name is
  // any -sn given: so a test name in two groups could run in two shards.
  // Such a suite is refused rather than counted twice.
  std::vector<std::string> args(argv, argv + argc);
  std::set<std::string> names;
  int tests = 0;
  bool any = false;
  for (UtestShell* test = TestRegistry::getCurrentRegistry()->getFirstTest(); test != nullptr;
       test = test->getNext(), ++tests) {
    const std::string group = test->getGroup().asCharString();
    const std::string name = test->getName().asCharString();
    if (!names.insert(name).second) {
      std::fprintf(stderr, "test_main: cannot shard: test name %s is in two groups\n",
                   name.c_str());
      return 1;
    }
    if (tests % total != index) continue;
    any = true;
    args.insert(args.end(), {"-sg", group, "-sn", name});
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
