#include "core/api/datastream.h"

#include <string>

#include "examples/api/debounce.h"
#include "tests/testing/temp_dir.h"
#include "transports/connectors/connectors.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::api::Environment;
using runnel::schema::Field;
using runnel::schema::FieldType;
using runnel::schema::TimeUnit;
using runnel::testing::ReadFile;
using runnel::testing::TempDir;

namespace {

std::vector<Field> Readings() {
  return {{"device", FieldType::kSym, TimeUnit::kMs},
          {"ts", FieldType::kTs, TimeUnit::kMs},
          {"temp", FieldType::kF64, TimeUnit::kMs}};
}

}  // namespace

TEST_GROUP(DataStream) {
  TempDir dir;
};

TEST(DataStream, RunsAKeyedProcessFunctionThroughThePlanner) {
  std::string in = dir.Write("in.csv",
                             "device,ts,temp\n"
                             "a,1,34\n"
                             "b,2,35\n"
                             "a,3,34.5\n"
                             "a,4,30\n"   // a back to normal: streak resets
                             "a,5,36\n"
                             "b,6,35\n"   // b: two in a row
                             "a,7,37\n"
                             "b,8,36\n"   // b: third -> alert
                             "a,9,38\n"   // a: third of the new streak -> alert
                             "a,10,39\n");  // a: no second alert
  runnel::examples::Debounce debounce;
  debounce.limit = 33;
  debounce.consecutive = 3;
  Environment env;
  env.FromCsv("readings", Readings(), in)
      .KeyBy({"device"})
      .Process("alerts", debounce)
      .ToCsv(dir.File("out.csv"));
  runnel::Status status = env.Execute(runnel::transports::MakeConnectors());
  CHECK_TEXT(status.ok(), status.message().c_str());
  STRCMP_EQUAL("device,ts,temp,streak\nb,8,36,3\na,9,38,3\n",
               ReadFile(dir.File("out.csv")).c_str());
}

TEST(DataStream, ChainsFilterProjectAggregateAndUnion) {
  std::string in = dir.Write("in.csv", "device,ts,temp\na,1,10\nb,2,20\na,3,30\nb,4,40\n");
  Environment env;
  auto readings = env.FromCsv("readings", Readings(), in);
  auto hot = readings.Filter("temp > 15", "hot");
  auto cold = readings.Filter("temp <= 15", "cold");
  runnel::api::AggregateOptions final_only;
  final_only.emit_final = true;
  hot.Union({cold})
      .Project({"device", "temp"})
      .KeyBy({"device"})
      .Aggregate({"count() as n", "sum(temp) as total"}, final_only)
      .ToCsv(dir.File("out.csv"));
  runnel::Status status = env.Execute(runnel::transports::MakeConnectors());
  CHECK_TEXT(status.ok(), status.message().c_str());
  std::string out = ReadFile(dir.File("out.csv"));
  STRCMP_CONTAINS("device,n,total\n", out.c_str());
  STRCMP_CONTAINS("a,2,40\n", out.c_str());
  STRCMP_CONTAINS("b,2,60\n", out.c_str());
}

TEST(DataStream, ErrorsReadLikeGraphFileErrors) {
  Environment env;
  env.FromCsv("readings", Readings(), "in.csv").Filter("tmp > 3").ToCsv("-");
  auto plan = env.Plan(runnel::transports::MakeConnectors());
  CHECK_FALSE(plan.ok());
  STRCMP_CONTAINS("<api>:", plan.status().message().c_str());
  STRCMP_CONTAINS("operators[0].filter: unknown field 'tmp'", plan.status().message().c_str());
  STRCMP_CONTAINS("\"filter\": \"tmp > 3\"", env.GraphJson().c_str());
}

TEST(DataStream, ProcessNeedsAKeyedStream) {
  Environment env;
  env.FromCsv("readings", Readings(), "in.csv")
      .Process("alerts", runnel::examples::Debounce{})
      .ToCsv("-");
  auto plan = env.Plan(runnel::transports::MakeConnectors());
  STRCMP_CONTAINS("a process function needs a keyed stream; key_by first",
                  plan.status().message().c_str());
}
