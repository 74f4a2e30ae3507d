#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace runnel::testing {

TempDir::TempDir(bool short_path) {
  const char* base = short_path ? nullptr : getenv("TEST_TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/runnel-XXXXXX";
  char* made = mkdtemp(pattern.data());
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Write(const std::string& name,
                           const std::string& contents) const {
  std::string file = File(name);
  std::ofstream(file, std::ios::binary) << contents;
  return file;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace runnel::testing
