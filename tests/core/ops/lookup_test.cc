#include "core/ops/lookup.h"

#include <string>
#include <vector>

#include "tests/core/ops/row_ops_testing.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::Result;
using runnel::Status;
using runnel::StatusCode;
using runnel::ops::LookupOperator;
using runnel::ops::LookupSpec;
using runnel::ops::OnMissing;
using runnel::ops::ParseLookup;
using runnel::ops::SplitValues;
using namespace row_ops_testing;

namespace {

// Added by Sites(): site (sym), offset (f64).
Schema SiteFields() {
  return Schema({{"site", FieldType::kSym, TimeUnit::kMs},
                 {"offset", FieldType::kF64, TimeUnit::kMs}});
}

const std::vector<std::string> kRows = {"a, north, 0.5", "b,south,-1", " c , north , 0 "};

LookupSpec Parsed(OnMissing on_missing, const std::string* defaults = nullptr) {
  Result<LookupSpec> spec =
      ParseLookup({"device"}, SiteFields(), kRows, on_missing, defaults, Readings());
  CHECK_TEXT(spec.ok(), spec.status().message().c_str());
  return spec.value();
}

std::string ParseError(const std::vector<std::string>& key, const Schema& fields,
                       const std::vector<std::string>& rows,
                       OnMissing on_missing = OnMissing::kDrop,
                       const std::string* defaults = nullptr) {
  Result<LookupSpec> spec = ParseLookup(key, fields, rows, on_missing, defaults, Readings());
  CHECK_FALSE(spec.ok());
  return spec.status().message();
}

constexpr uint32_t kOutWidth = kWidth + 2;  // device, ts, temp, site, offset, wm

}  // namespace

TEST_GROUP(Lookup) {
  SymbolTable symbols{1024, 1 << 16};

  std::unique_ptr<LookupOperator> Make(const LookupSpec& spec) {
    auto op = LookupOperator::Make(Readings(), kWidth, spec, &symbols);
    CHECK_TEXT(op.ok(), op.status().message().c_str());
    return std::move(op.value());
  }

  // "device@ts:site:offset" per output row.
  std::string Run(LookupOperator* op, const std::vector<Reading>& readings,
                  Status* status = nullptr) {
    RowBatch in(kWidth, 16), out(kOutWidth, 16);
    Fill(readings, &symbols, &in);
    Status s = op->Process(in, &out);
    if (status) {
      *status = s;
    } else {
      CHECK_TEXT(s.ok(), s.message().c_str());
    }
    std::vector<std::string> keys = Keys(out, symbols);
    for (uint32_t r = 0; r < out.size(); ++r) {
      const Slot* row = out.row(r);
      char offset[32];
      snprintf(offset, sizeof(offset), "%g", row[4].f64);
      keys[r] += ":" + std::string(symbols.Lookup(static_cast<uint32_t>(row[3].i64))) + ":" +
                 offset;
      LONGS_EQUAL(row[kTs].i64 - 1, row[5].i64);  // the watermark rides along
    }
    return Join(keys);
  }
};

TEST(Lookup, SplitValuesTrims) {
  std::vector<std::string> values = SplitValues(" a ,b,, c d ");
  LONGS_EQUAL(4, values.size());
  STRCMP_EQUAL("a", values[0].c_str());
  STRCMP_EQUAL("", values[2].c_str());
  STRCMP_EQUAL("c d", values[3].c_str());
}

TEST(Lookup, AppendsTheMatchingRowAndDropsTheRest) {
  auto op = Make(Parsed(OnMissing::kDrop));
  STRCMP_EQUAL("a@1:north:0.5 c@2:north:0 b@3:south:-1",
               Run(op.get(), {{"a", 1, 0}, {"x", 1, 0}, {"c", 2, 0}, {"b", 3, 0}}).c_str());
  LONGS_EQUAL(1, op->metrics().dropped);
  LONGS_EQUAL(LookupOperator::FootprintBytes(Parsed(OnMissing::kDrop)), op->footprint_bytes());
}

TEST(Lookup, KeepsMissingRowsWithDefaults) {
  std::string defaults = "unknown, 0.25";
  auto op = Make(Parsed(OnMissing::kKeep, &defaults));
  STRCMP_EQUAL("x@1:unknown:0.25 a@2:north:0.5",
               Run(op.get(), {{"x", 1, 0}, {"a", 2, 0}}).c_str());
}

TEST(Lookup, FailStopsNamingTheKey) {
  auto op = Make(Parsed(OnMissing::kFail));
  Status status;
  STRCMP_EQUAL("a@1:north:0.5", Run(op.get(), {{"a", 1, 0}, {"dev-9", 2, 0}}, &status).c_str());
  CHECK(!status.ok());
  STRCMP_CONTAINS("device=dev-9", status.message().c_str());
}

TEST(Lookup, NumericAndCompositeKeys) {
  Schema fields({{"zone", FieldType::kI64, TimeUnit::kMs}});
  Result<LookupSpec> spec = ParseLookup({"device", "temp"}, fields,
                                        {"a, 1.5, 7", "a, -0.0, 8", "b, 1.5, 9"},
                                        OnMissing::kDrop, nullptr, Readings());
  CHECK_TEXT(spec.ok(), spec.status().message().c_str());
  auto op = LookupOperator::Make(Readings(), kWidth, spec.value(), &symbols);
  CHECK(op.ok());
  RowBatch in(kWidth, 8), out(kWidth + 1, 8);
  Fill({{"a", 1, 1.5}, {"a", 2, 0.0}, {"b", 3, 0.5}, {"b", 4, 1.5}}, &symbols, &in);
  CHECK(op.value()->Process(in, &out).ok());
  LONGS_EQUAL(3, out.size());
  LONGS_EQUAL(7, out.row(0)[3].i64);
  LONGS_EQUAL(8, out.row(1)[3].i64);  // 0.0 matches -0.0
  LONGS_EQUAL(9, out.row(2)[3].i64);
}

TEST(Lookup, ParseReportsWhereTheTableIsWrong) {
  STRCMP_CONTAINS("key[0]: unknown field 'dev'", ParseError({"dev"}, SiteFields(), kRows).c_str());
  STRCMP_CONTAINS("fields[0].name: the input already has a field 'temp'",
                  ParseError({"device"}, Schema({{"temp", FieldType::kF64, TimeUnit::kMs}}),
                             {"a, 1"}).c_str());
  STRCMP_CONTAINS("rows[1]: expected 3 comma-separated values (device, site, offset), found 2",
                  ParseError({"device"}, SiteFields(), {"a, n, 1", "b, n"}).c_str());
  STRCMP_CONTAINS("rows[0]: 'warm' is not a f64 (column 'offset')",
                  ParseError({"device"}, SiteFields(), {"a, n, warm"}).c_str());
  STRCMP_CONTAINS("rows[0]: column 'site' is empty",
                  ParseError({"device"}, SiteFields(), {"a, , 1"}).c_str());
  STRCMP_CONTAINS("rows[2]: its key is already the key of rows[0]",
                  ParseError({"device"}, SiteFields(), {"a, n, 1", "b, n, 1", "a, s, 2"})
                      .c_str());
  STRCMP_CONTAINS("rows: the table has no rows", ParseError({"device"}, SiteFields(), {}).c_str());
  STRCMP_CONTAINS("defaults: on_missing keep needs",
                  ParseError({"device"}, SiteFields(), kRows, OnMissing::kKeep).c_str());
  std::string short_defaults = "x";
  STRCMP_CONTAINS("defaults: expected 2",
                  ParseError({"device"}, SiteFields(), kRows, OnMissing::kKeep, &short_defaults)
                      .c_str());
  STRCMP_CONTAINS("defaults: only used with on_missing keep",
                  ParseError({"device"}, SiteFields(), kRows, OnMissing::kDrop, &short_defaults)
                      .c_str());
}
