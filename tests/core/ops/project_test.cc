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
  ProjectOperator op(p.value().source_fields);
  CHECK(op.Process(in, &out).ok());
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
  STRCMP_EQUAL("[1]: unknown field 'tmp' (fields: device, ts, temp)",
               ErrorOf({"device", "tmp"}).c_str());
  STRCMP_EQUAL("[1]: field 'device' appears twice", ErrorOf({"device", "device"}).c_str());
  STRCMP_EQUAL("[0]: expected 'FIELD' or 'FIELD as NAME', found 'temp as'",
               ErrorOf({"temp as"}).c_str());
  STRCMP_EQUAL("selects no fields", ErrorOf({}).c_str());
}
