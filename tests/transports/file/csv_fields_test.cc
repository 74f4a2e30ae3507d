#include "transports/file/csv_fields.h"

#include <CppUTest/TestHarness.h>

#include <string>

using runnel::file::CsvFields;

TEST_GROUP(CsvFields) {
  CsvFields fields{',', 256};
  std::string At(size_t i) { return std::string(fields[i]); }
};

TEST(CsvFields, PlainFields) {
  CHECK(fields.Split("dev-1,1700000000000,21.5,40"));
  LONGS_EQUAL(4, fields.size());
  STRCMP_EQUAL("21.5", At(2).c_str());
}

TEST(CsvFields, EmptyFields) {
  CHECK(fields.Split(",a,,"));
  LONGS_EQUAL(4, fields.size());
  STRCMP_EQUAL("", At(0).c_str());
  STRCMP_EQUAL("", At(3).c_str());
}

TEST(CsvFields, QuotedFieldsWithDelimitersAndQuotes) {
  CHECK(fields.Split("\"a,b\",\"say \"\"hi\"\"\",\"\""));
  LONGS_EQUAL(3, fields.size());
  STRCMP_EQUAL("a,b", At(0).c_str());
  STRCMP_EQUAL("say \"hi\"", At(1).c_str());
  STRCMP_EQUAL("", At(2).c_str());
}

TEST(CsvFields, MalformedQuoting) {
  CHECK_FALSE(fields.Split("\"open,1"));
  STRCMP_EQUAL("unclosed quote", fields.error());
  CHECK_FALSE(fields.Split("\"a\"b,1"));
  STRCMP_EQUAL("text after a closing quote", fields.error());
}

TEST(CsvFields, OtherDelimiter) {
  CsvFields semicolons(';', 64);
  CHECK(semicolons.Split("a;b,c"));
  LONGS_EQUAL(2, semicolons.size());
}

TEST(CsvFields, TooManyFields) {
  std::string line(300, ',');
  CsvFields wide(',', 512);
  CHECK_FALSE(wide.Split(line));
  STRCMP_EQUAL("more than 256 fields", wide.error());
}
