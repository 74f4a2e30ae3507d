// ReadingDecoder: a sensor's Reading becomes a row by field names (every
// type; ts from ts_ms or a number of its name; unknown names ignored), and
// a missing, repeated or ill-fitting value rejects it with the field named.
#include "transports/wire/reading_decoder.h"

#include <string>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "tests/transports/wire/reading_builder.h"
#include "transports/wire/frame_decoder.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using namespace runnel;
using namespace runnel::schema;
using runnel::testing::EncodeReading;
using runnel::testing::ReadingSpec;
using Outcome = runnel::wire::ReadingDecoder::Outcome;

TEST_GROUP(ReadingDecoder) {
  Schema schema{{{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"n", FieldType::kI64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs}}};
  SymbolTable symbols{16, 1024};
  wire::FrameDecoder frames{schema, &symbols};
  wire::ReadingDecoder readings{schema, &symbols};
  std::string bytes;  // the message decoded last: the view points into it
  Slot row[5];

  ReadingSpec Good() {
    ReadingSpec spec;
    spec.ts_ms = 1700000000123;
    spec.numbers = {{"temp", 21.5}, {"n", -7}, {"ok", 1}, {"humidity", 40}};
    spec.texts = {{"device", "dev-1"}, {"site", "north"}};
    return spec;
  }

  Outcome Decode(const ReadingSpec& spec) {
    bytes = EncodeReading(spec);
    wire::DecodedMessage message;
    Status status =
        frames.Decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &message);
    CHECK_TRUE_TEXT(status.ok(), status.message().c_str());
    CHECK(message.kind == wire::MessageKind::kReading);
    return readings.Decode(message, row);
  }
};

TEST(ReadingDecoder, MapsValuesByName) {
  CHECK(Decode(Good()) == Outcome::kOk);
  STRCMP_EQUAL("dev-1", std::string(symbols.Lookup(static_cast<uint32_t>(row[0].i64))).c_str());
  LONGLONGS_EQUAL(1700000000123LL * 1000000, row[1].i64);
  DOUBLES_EQUAL(21.5, row[2].f64, 0);
  LONGLONGS_EQUAL(-7, row[3].i64);
  LONGLONGS_EQUAL(1, row[4].i64);
}

TEST(ReadingDecoder, TsFieldMayBeGivenByName) {
  ReadingSpec spec = Good();
  spec.numbers.push_back({"ts", 1500.25});  // ms, to the ns
  CHECK(Decode(spec) == Outcome::kOk);
  LONGLONGS_EQUAL(1500250000, row[1].i64);
}

TEST(ReadingDecoder, RejectsReadingsThatDoNotFit) {
  struct Case {
    const char* what;
    void (*change)(ReadingSpec*);
    const char* error;
  } cases[] = {
      {"no device", [](ReadingSpec* s) { s->texts.clear(); }, "field 'device': missing"},
      {"no temp", [](ReadingSpec* s) { s->numbers.erase(s->numbers.begin()); },
       "field 'temp': missing"},
      {"temp twice", [](ReadingSpec* s) { s->numbers.push_back({"temp", 1}); },
       "field 'temp': given twice"},
      {"device twice", [](ReadingSpec* s) { s->texts.push_back({"device", "x"}); },
       "field 'device': given twice"},
      {"fractional n", [](ReadingSpec* s) { s->numbers[1].second = 2.5; },
       "field 'n': 2.5 is not a 64-bit integer"},
      {"huge n", [](ReadingSpec* s) { s->numbers[1].second = 1e19; }, "field 'n'"},
      {"bool 2", [](ReadingSpec* s) { s->numbers[2].second = 2; }, "field 'ok': 2 is not 0 or 1"},
      {"ts_ms past int64 ns", [](ReadingSpec* s) { s->ts_ms = INT64_MAX / 2; },
       "is out of range"},
      {"ts number past int64 ns", [](ReadingSpec* s) { s->numbers.push_back({"ts", 1e300}); },
       "field 'ts'"},
  };
  for (const Case& c : cases) {
    ReadingSpec spec = Good();
    c.change(&spec);
    CHECK_TEXT(Decode(spec) == Outcome::kBadReading, c.what);
    STRCMP_CONTAINS_TEXT(c.error, readings.error(), c.what);
  }
}

TEST(ReadingDecoder, FullSymbolTableIsReported) {
  ReadingSpec spec = Good();
  for (int i = 0; i < 20; ++i) {
    spec.texts[0].second = "device-" + std::to_string(i);
    Outcome outcome = Decode(spec);
    if (outcome == Outcome::kSymbolsFull) {
      STRCMP_CONTAINS("symbol table is full", readings.error());
      return;
    }
    CHECK(outcome == Outcome::kOk);
  }
  FAIL("the 16-symbol table never filled");
}
