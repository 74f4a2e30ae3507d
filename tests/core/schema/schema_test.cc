#include "core/schema/schema.h"

#include <CppUTest/TestHarness.h>

#include "core/schema/field_type.h"
#include "core/schema/row.h"

using runnel::schema::Field;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::TimeUnit;

TEST_GROUP(Schema){};

TEST(Schema, FindsFieldsByName) {
  Schema s({{"device", FieldType::kSym, TimeUnit::kMs},
            {"ts", FieldType::kTs, TimeUnit::kMs},
            {"temp", FieldType::kF64, TimeUnit::kMs}});
  LONGS_EQUAL(3, s.size());
  LONGS_EQUAL(2, s.IndexOf("temp"));
  LONGS_EQUAL(Schema::kNotFound, s.IndexOf("Temp"));
  STRCMP_EQUAL("device, ts, temp", s.FieldNames().c_str());
}

TEST(Schema, NamesTypesAndUnits) {
  STRCMP_EQUAL("i64", std::string(FieldTypeName(FieldType::kI64)).c_str());
  STRCMP_EQUAL("sym", std::string(FieldTypeName(FieldType::kSym)).c_str());
  LONGS_EQUAL(1000000, runnel::schema::NanosPerUnit(TimeUnit::kMs));
  CHECK(runnel::schema::IsNumeric(FieldType::kTs));
  CHECK_FALSE(runnel::schema::IsNumeric(FieldType::kBool));
}

TEST_GROUP(RowBatch){};

TEST(RowBatch, RowsAreContiguousSlots) {
  RowBatch batch(3, 4);
  LONGS_EQUAL(0, batch.size());
  for (int i = 0; i < 4; ++i) {
    auto* row = batch.Append();
    row[0].i64 = i;
    row[1].f64 = i * 1.5;
    row[2].i64 = -i;
  }
  CHECK(batch.full());
  LONGS_EQUAL(3, batch.row(3)[0].i64);
  DOUBLES_EQUAL(4.5, batch.row(3)[1].f64, 0);
  POINTERS_EQUAL(batch.row(0) + 3, batch.row(1));
}

TEST(RowBatch, AppendCopyDropLastAndClear) {
  RowBatch batch(2, 2);
  runnel::schema::Slot row[2];
  row[0].i64 = 7;
  row[1].i64 = 8;
  batch.AppendCopy(row);
  LONGS_EQUAL(8, batch.row(0)[1].i64);
  batch.Append();
  batch.DropLast();
  LONGS_EQUAL(1, batch.size());
  batch.Clear();
  CHECK(batch.empty());
}
