// The main() every CppUTest suite links: runs all tests in the binary.
#include <CppUTest/CommandLineTestRunner.h>

int main(int argc, char** argv) {
  return CommandLineTestRunner::RunAllTests(argc, argv);
}
