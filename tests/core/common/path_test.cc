// LexicallyNormal and AbsolutePath against std::filesystem, whose results
// they replace (every path of up to 8 characters of "a", "." and "/", and
// hand-picked ones), and CreateDirectories on real directories.
#include "core/common/path.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::AbsolutePath;
using runnel::CreateDirectories;
using runnel::LexicallyNormal;
using runnel::StatusCode;
using runnel::testing::TempDir;

namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string StdNormal(const std::string& path) {
  return std::filesystem::path(path).lexically_normal().string();
}

}  // namespace

TEST_GROUP(Path) {};

TEST(Path, NormalFormsOfExamples) {
  STRCMP_EQUAL("", LexicallyNormal("").c_str());
  STRCMP_EQUAL("/a/b/", LexicallyNormal("/a//b/./c/../").c_str());
  STRCMP_EQUAL(".", LexicallyNormal("a/..").c_str());
  STRCMP_EQUAL("/x", LexicallyNormal("/../x").c_str());
  STRCMP_EQUAL("../..", LexicallyNormal("a/../../../").c_str());
  STRCMP_EQUAL("/srv/state/", LexicallyNormal("/srv/state/.").c_str());
}

TEST(Path, NormalFormsMatchTheStandardLibrary) {
  const std::vector<std::string> picked = {
      "/", "///a", "a//b", "./a", "a/./b/", "../a/..", "a/b/../../..", "/a/b/c/../../d",
      "/..", "/../..", "x/../../y/", "state..", "..state/./", ".hidden/..", "a/.../b",
  };
  for (const std::string& path : picked) {
    STRCMP_EQUAL(StdNormal(path).c_str(), LexicallyNormal(path).c_str());
  }
  // Every string of up to 8 characters over "a", "." and "/".
  std::vector<std::string> paths = {""};
  for (size_t begin = 0, length = 0; length < 8; ++length) {
    const size_t end = paths.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c : {'a', '.', '/'}) paths.push_back(paths[i] + c);
    }
    begin = end;
  }
  for (const std::string& path : paths) {
    // libstdc++ 12 keeps a path of only slashes as it is ("//" stays "//");
    // the standard, and LexicallyNormal, make it "/".
    if (path.size() > 1 && path.find_first_not_of('/') == std::string::npos) {
      STRCMP_EQUAL("/", LexicallyNormal(path).c_str());
      continue;
    }
    const std::string expected = StdNormal(path);
    const std::string got = LexicallyNormal(path);
    if (expected != got) {
      FAIL(("\"" + path + "\": expected \"" + expected + "\", got \"" + got + "\"").c_str());
    }
  }
}

TEST(Path, AbsolutePathMatchesTheStandardLibrary) {
  for (const std::string path : {"state", "./state/", "../x/./y", "..", ".", "/srv//state/..",
                                 "/", "a/../../b"}) {
    auto absolute = AbsolutePath(path);
    CHECK(absolute.ok());
    STRCMP_EQUAL(std::filesystem::absolute(path).lexically_normal().string().c_str(),
                 absolute.value().c_str());
  }
}

TEST(Path, AnEmptyPathHasNoAbsoluteForm) {
  auto absolute = AbsolutePath("");
  CHECK(!absolute.ok());
  CHECK(absolute.status().code() == StatusCode::kInvalidArgument);
}

TEST(Path, CreatesMissingParents) {
  TempDir temp;
  const std::string dir = temp.File("a/b//c/");
  CHECK(CreateDirectories(dir).ok());
  CHECK(IsDirectory(temp.File("a/b/c")));
  // Already there: nothing to do.
  CHECK(CreateDirectories(dir).ok());
  CHECK(CreateDirectories(temp.path()).ok());
  CHECK(CreateDirectories(temp.File("a/./d/../e")).ok());
  CHECK(IsDirectory(temp.File("a/d")));
  CHECK(IsDirectory(temp.File("a/e")));
}

TEST(Path, AFileInTheWayIsNotADirectory) {
  TempDir temp;
  const std::string file = temp.Write("spill", "x");
  int error = 0;
  runnel::Status made = CreateDirectories(file, &error);
  CHECK(!made.ok());
  CHECK(made.code() == StatusCode::kIoError);
  LONGS_EQUAL(ENOTDIR, error);
  STRCMP_EQUAL((file + ": cannot create directory: Not a directory").c_str(),
               made.message().c_str());

  error = 0;
  made = CreateDirectories(file + "/sub/dir", &error);
  CHECK(!made.ok());
  LONGS_EQUAL(ENOTDIR, error);
  STRCMP_EQUAL((file + ": cannot create directory: Not a directory").c_str(),
               made.message().c_str());
}

TEST(Path, ReportsWhyADirectoryCannotBeMade) {
  TempDir temp;
  const std::string dir = temp.File(std::string(300, 'n') + "/sub");  // a name over 255 bytes
  int error = 0;
  runnel::Status made = CreateDirectories(dir, &error);
  CHECK(!made.ok());
  LONGS_EQUAL(ENAMETOOLONG, error);
  STRCMP_EQUAL((dir + ": cannot create directory: File name too long").c_str(),
               made.message().c_str());
}

TEST(Path, AnEmptyPathCannotBeMade) {
  int error = 0;
  CHECK(!CreateDirectories("", &error).ok());
  LONGS_EQUAL(EINVAL, error);
}
