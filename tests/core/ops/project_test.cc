#include "core/ops/project.h"

#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

using runnel::ops::ParseProjection;
using runnel::ops::ProjectOperator;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::TimeUnit;

namespace {

Schema Input() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs}});
}

std::string ErrorOf(const std::vector<std::string>& items) {
  auto p = ParseProjection(items, Input());
  return p.ok() ? "<ok>" : p.status().message();
}

}  // namespace

TEST_GROUP(ProjectOperator){};

TEST(ProjectOperator, SelectsReordersAndRenames) {
  auto p = ParseProjection({"temp as temp_c", "device"}, Input());
  CHECK(p.ok());
  LONGS_EQUAL(2, p.value().output.size());
  STRCMP_EQUAL("temp_c", p.value().output.field(0).name.c_str());
  CHECK(p.value().output.field(0).type == FieldType::kF64);
  STRCMP_EQUAL("device", p.value().output.field(1).name.c_str());

  RowBatch in(3, 4), out(2, 4);
  auto* row = in.Append();
  row[0].i64 = 7;
  row[1].i64 = 100;
  row[2].f64 = 21.5;
  runnel::schema::SymbolTable symbols(16, 256);
  auto op = ProjectOperator::Make(p.value(), -1, &symbols);
  CHECK(op.ok());
  CHECK(op.value()->Process(in, &out).ok());
  LONGS_EQUAL(1, out.size());
  DOUBLES_EQUAL(21.5, out.row(0)[0].f64, 0);
  LONGS_EQUAL(7, out.row(0)[1].i64);
}

TEST(ProjectOperator, SameFieldTwiceUnderTwoNames) {
  auto p = ParseProjection({"temp", "temp as t2"}, Input());
  CHECK(p.ok());
  LONGS_EQUAL(2, p.value().source_fields[1]);
}

TEST(ProjectOperator, ExplainsMistakes) {
  STRCMP_EQUAL("[1]: unknown field 'tmp' at column 1 (fields: device, ts, temp)",
               ErrorOf({"device", "tmp"}).c_str());
  STRCMP_EQUAL("[1]: field 'device' appears twice", ErrorOf({"device", "device"}).c_str());
  STRCMP_EQUAL("[0]: expected a name after 'as' at column 8 (end of text)",
               ErrorOf({"temp as"}).c_str());
  STRCMP_EQUAL("[0]: a computed field needs a name: 'temp * 2 as NAME'",
               ErrorOf({"temp * 2"}).c_str());
  STRCMP_EQUAL("[1]: cannot apply '+' to sym field 'device' and the number 1 at column 8",
               ErrorOf({"temp", "device + 1 as d"}).c_str());
  STRCMP_EQUAL("[1]: field 'temp' appears twice", ErrorOf({"temp", "temp + 1 as temp"}).c_str());
  STRCMP_EQUAL("selects no fields", ErrorOf({}).c_str());
}

TEST(ProjectOperator, ComputedFieldsBesideCopiedOnes) {
  auto p = ParseProjection({"device", "temp * 1.8 + 32 as temp_f", "hour(ts) as h",
                            "if(device == 'dev-1', ts, ts) as t", "temp > 20 as warm"},
                           Input());
  CHECK_TEXT(p.ok(), p.status().message().c_str());
  const Schema& out_schema = p.value().output;
  LONGS_EQUAL(5, out_schema.size());
  CHECK(out_schema.field(1).type == FieldType::kF64);
  CHECK(out_schema.field(2).type == FieldType::kI64);
  CHECK(out_schema.field(3).type == FieldType::kTs);
  CHECK(out_schema.field(4).type == FieldType::kBool);
  LONGS_EQUAL(-1, p.value().source_fields[1]);

  runnel::schema::SymbolTable symbols(16, 256);
  uint32_t dev1 = 0, dev2 = 0;
  CHECK(symbols.Intern("dev-1", &dev1));
  CHECK(symbols.Intern("dev-2", &dev2));
  // Rows one slot wider than the schema: a hidden watermark slot.
  RowBatch in(4, 600), out(6, 600);
  for (int64_t i = 0; i < 600; ++i) {  // more than one evaluation chunk
    auto* row = in.Append();
    row[0].i64 = i % 2 ? dev2 : dev1;
    row[1].i64 = i * 3600 * 1000000000LL;  // i hours after the epoch
    row[2].f64 = static_cast<double>(i % 40);
    row[3].i64 = 1000 + i;
  }
  auto op = ProjectOperator::Make(p.value(), 3, &symbols);
  CHECK(op.ok());
  CHECK(op.value()->Process(in, &out).ok());
  LONGS_EQUAL(600, out.size());
  for (uint32_t i = 0; i < 600; ++i) {
    const auto* row = out.row(i);
    LONGS_EQUAL(in.row(i)[0].i64, row[0].i64);
    DOUBLES_EQUAL(static_cast<double>(i % 40) * 1.8 + 32, row[1].f64, 1e-9);
    LONGS_EQUAL(i % 24, row[2].i64);
    LONGS_EQUAL(in.row(i)[1].i64, row[3].i64);
    LONGS_EQUAL(i % 40 > 20, row[4].i64);
    LONGS_EQUAL(1000 + i, row[5].i64);  // the hidden slot rides along
  }
}
