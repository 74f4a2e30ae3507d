// ReadFileText on real files: a file's exact bytes (NULs included), an
// empty file, files whose size stat(2) does not tell (a pipe, /proc), and
// the errors for a missing file, a directory and what is too large.
#include "core/common/file_text.h"

#include <errno.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::FileTextError;
using runnel::ReadFileText;
using runnel::StatusCode;
using runnel::testing::TempDir;

TEST_GROUP(FileText) {};

TEST(FileText, ReadsTheWholeFile) {
  TempDir temp;
  std::string contents("public: a\0b\nsecret: c\n", 22);
  for (int i = 0; i < 20000; ++i) contents += static_cast<char>('a' + i % 26);
  auto text = ReadFileText(temp.Write("key.txt", contents));
  CHECK(text.ok());
  CHECK(text.value() == contents);
}

TEST(FileText, ReadsAnEmptyFile) {
  TempDir temp;
  auto text = ReadFileText(temp.Write("empty", ""));
  CHECK(text.ok());
  CHECK(text.value().empty());
}

TEST(FileText, ReadsAPipeToItsEnd) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  // Far more than one pipe buffer (64 KiB) and than the first read buffer.
  std::string contents;
  for (int i = 0; i < 300000; ++i) contents += static_cast<char>('0' + i % 10);
  std::thread writer([&] {
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = write(fds[1], contents.data() + done, contents.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  auto text = ReadFileText("/dev/fd/" + std::to_string(fds[0]));
  writer.join();
  close(fds[0]);
  CHECK(text.ok());
  LONGS_EQUAL(contents.size(), text.value().size());
  CHECK(text.value() == contents);
}

// /proc files say they are empty but are not.
TEST(FileText, ReadsAFileThatReportsSizeZero) {
  auto text = ReadFileText("/proc/self/status");
  CHECK(text.ok());
  STRCMP_CONTAINS("Pid:", text.value().c_str());
}

TEST(FileText, AMissingFileCannotBeOpened) {
  TempDir temp;
  const std::string path = temp.File("absent.key");
  FileTextError error;
  auto text = ReadFileText(path, &error);
  CHECK(!text.ok());
  CHECK(text.status().code() == StatusCode::kIoError);
  STRCMP_EQUAL((path + ": cannot open: No such file or directory").c_str(),
               text.status().message().c_str());
  CHECK(error.step == FileTextError::Step::kOpen);
  LONGS_EQUAL(ENOENT, error.error_number);
}

TEST(FileText, ADirectoryOpensButCannotBeRead) {
  TempDir temp;
  FileTextError error;
  auto text = ReadFileText(temp.path(), &error);
  CHECK(!text.ok());
  CHECK(text.status().code() == StatusCode::kIoError);
  STRCMP_EQUAL((temp.path() + ": cannot read: Is a directory").c_str(),
               text.status().message().c_str());
  CHECK(error.step == FileTextError::Step::kRead);
  LONGS_EQUAL(EISDIR, error.error_number);
}

// "-" is a file name like any other (there is none in the test's working
// directory): standard input is the caller's business.
TEST(FileText, DashIsAFileName) {
  auto text = ReadFileText("-");
  CHECK(!text.ok());
  STRCMP_EQUAL("-: cannot open: No such file or directory", text.status().message().c_str());
}

// A configuration file is small: a bigger file, or a device that never
// ends, is refused instead of filling memory.
TEST(FileText, RefusesWhatIsTooLarge) {
  TempDir temp;
  const std::string big = temp.Write("big", "");
  CHECK(truncate(big.c_str(), runnel::kMaxFileTextBytes + 1) == 0);  // sparse
  FileTextError error;
  auto text = ReadFileText(big, &error);
  CHECK(!text.ok());
  STRCMP_EQUAL((big + ": cannot read: File too large").c_str(), text.status().message().c_str());
  LONGS_EQUAL(EFBIG, error.error_number);
  CHECK(truncate(big.c_str(), runnel::kMaxFileTextBytes) == 0);
  CHECK(ReadFileText(big).ok());
  auto endless = ReadFileText("/dev/zero", &error);
  CHECK(!endless.ok());
  LONGS_EQUAL(EFBIG, error.error_number);
}
