// StateBuffer: records come back in order, and a record that does not fit
// is refused whole.
#include "core/runtime/state_buffer.h"

#include <string>
#include <vector>

#include "CppUTest/TestHarness.h"

using runnel::runtime::StateBuffer;

TEST_GROUP(StateBuffer){};

TEST(StateBuffer, RecordsComeBackInOrder) {
  StateBuffer buffer(256);
  CHECK(buffer.Put("k1", "value one"));
  CHECK(buffer.Delete("k2"));
  CHECK(buffer.Put(std::string("k\0" "3", 3), ""));
  LONGS_EQUAL(3, buffer.records());
  std::vector<std::string> seen;
  buffer.ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
    seen.push_back((is_delete ? "-" : "+") + std::string(key) + "=" + std::string(value));
  });
  LONGS_EQUAL(3, seen.size());
  STRCMP_EQUAL("+k1=value one", seen[0].c_str());
  STRCMP_EQUAL("-k2=", seen[1].c_str());
  CHECK(seen[2] == std::string("+k\0" "3=", 5));
}

TEST(StateBuffer, ARecordThatDoesNotFitIsRefusedWhole) {
  StateBuffer buffer(StateBuffer::RecordBytes(2, 4) + 5);
  CHECK(buffer.Put("ab", "cdef"));
  CHECK_FALSE(buffer.Put("x", ""));  // needs 10 bytes, 5 left
  LONGS_EQUAL(1, buffer.records());
  LONGS_EQUAL(StateBuffer::RecordBytes(2, 4), buffer.size());
  buffer.Clear();
  LONGS_EQUAL(0, buffer.records());
  CHECK(buffer.Put("x", ""));
}
