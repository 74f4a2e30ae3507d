#include "transports/file/line_reader.h"

#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "tests/testing/temp_dir.h"

using runnel::file::LineReader;

namespace {

// Every line (or "<too long>") of `contents`, read through a buffer of
// `buffer_bytes`.
std::vector<std::string> ReadAll(const std::string& contents, size_t buffer_bytes) {
  runnel::testing::TempDir dir;
  LineReader reader(dir.Write("in.txt", contents), buffer_bytes);
  CHECK(reader.Open().ok());
  std::vector<std::string> lines;
  while (true) {
    std::string_view line;
    auto outcome = reader.Next(&line);
    CHECK(outcome.ok());
    if (outcome.value() == LineReader::Outcome::kEnd) break;
    lines.push_back(outcome.value() == LineReader::Outcome::kTooLong
                        ? "<too long " + std::to_string(reader.line_number()) + ">"
                        : std::string(line));
  }
  return lines;
}

}  // namespace

TEST_GROUP(LineReader){};

TEST(LineReader, SplitsLinesAcrossBufferRefills) {
  std::string contents;
  for (int i = 0; i < 1000; ++i) contents += "line-" + std::to_string(i) + "\n";
  auto lines = ReadAll(contents, 64);
  LONGS_EQUAL(1000, lines.size());
  STRCMP_EQUAL("line-999", lines[999].c_str());
}

TEST(LineReader, LastLineWithoutNewlineAndCrLf) {
  auto lines = ReadAll("a\r\nb\n\nc", 16);
  LONGS_EQUAL(4, lines.size());
  STRCMP_EQUAL("a", lines[0].c_str());
  STRCMP_EQUAL("", lines[2].c_str());
  STRCMP_EQUAL("c", lines[3].c_str());
}

TEST(LineReader, SkipsLinesLongerThanTheBuffer) {
  std::string long_line(100, 'x');
  auto lines = ReadAll("ok\n" + long_line + "\nafter\n" + long_line, 16);
  LONGS_EQUAL(4, lines.size());
  STRCMP_EQUAL("ok", lines[0].c_str());
  STRCMP_EQUAL("<too long 2>", lines[1].c_str());
  STRCMP_EQUAL("after", lines[2].c_str());
  STRCMP_EQUAL("<too long 4>", lines[3].c_str());
}

TEST(LineReader, MissingFileIsAClearError) {
  LineReader reader("/nonexistent/readings.csv");
  auto status = reader.Open();
  CHECK_FALSE(status.ok());
  STRCMP_EQUAL("cannot open /nonexistent/readings.csv: No such file or directory",
               status.message().c_str());
}

TEST(LineReader, SeekResumesAtASavedOffsetWithItsLineNumber) {
  runnel::testing::TempDir dir;
  const std::string path = dir.Write("in.txt", "alpha\nbeta\r\n\ngamma");
  LineReader first(path, 8);
  CHECK(first.Open().ok());
  std::string_view line;
  CHECK(first.Next(&line).value() == LineReader::Outcome::kLine);
  CHECK(first.Next(&line).value() == LineReader::Outcome::kLine);
  LONGS_EQUAL(12, first.offset());  // after "beta\r\n"
  LineReader second(path, 8);
  CHECK(second.Open().ok());
  CHECK(second.Seek(first.offset(), first.line_number()).ok());
  CHECK(second.Next(&line).value() == LineReader::Outcome::kLine);
  STRCMP_EQUAL("", std::string(line).c_str());
  CHECK(second.Next(&line).value() == LineReader::Outcome::kLine);
  STRCMP_EQUAL("gamma", std::string(line).c_str());
  LONGS_EQUAL(4, second.line_number());
  LONGS_EQUAL(18, second.offset());  // the end: a resume there reads nothing
  CHECK(second.Next(&line).value() == LineReader::Outcome::kEnd);
}
