#include "core/schema/symbol_table.h"

#include <CppUTest/TestHarness.h>

#include <string>

using runnel::schema::SymbolTable;

TEST_GROUP(SymbolTable){};

TEST(SymbolTable, InternsOncePerString) {
  SymbolTable table(16, 256);
  uint32_t a, b, again;
  CHECK(table.Intern("dev-1", &a));
  CHECK(table.Intern("dev-2", &b));
  CHECK(table.Intern("dev-1", &again));
  LONGS_EQUAL(a, again);
  CHECK(a != b);
  LONGS_EQUAL(2, table.size());
  STRCMP_EQUAL("dev-2", std::string(table.Lookup(b)).c_str());
}

TEST(SymbolTable, EmptyStringIsASymbol) {
  SymbolTable table(4, 16);
  uint32_t id;
  CHECK(table.Intern("", &id));
  LONGS_EQUAL(0, table.Lookup(id).size());
}

TEST(SymbolTable, FindDoesNotAdd) {
  SymbolTable table(4, 64);
  uint32_t id;
  CHECK_FALSE(table.Find("x", &id));
  CHECK(table.Intern("x", &id));
  uint32_t found;
  CHECK(table.Find("x", &found));
  LONGS_EQUAL(id, found);
  LONGS_EQUAL(1, table.size());
}

TEST(SymbolTable, RefusesWhenOutOfSymbols) {
  SymbolTable table(2, 1024);
  uint32_t id;
  CHECK(table.Intern("a", &id));
  CHECK(table.Intern("b", &id));
  CHECK_FALSE(table.Intern("c", &id));
  CHECK(table.Intern("a", &id));  // existing ones still resolve
  LONGS_EQUAL(2, table.size());
}

TEST(SymbolTable, RefusesWhenOutOfBytes) {
  SymbolTable table(100, 8);
  uint32_t id;
  CHECK(table.Intern("12345", &id));
  CHECK_FALSE(table.Intern("6789", &id));
  CHECK(table.Intern("678", &id));
  STRCMP_EQUAL("678", std::string(table.Lookup(id)).c_str());
}

TEST(SymbolTable, ManySymbolsStayDistinct) {
  SymbolTable table(5000, 1 << 16);
  for (int i = 0; i < 5000; ++i) {
    uint32_t id;
    CHECK(table.Intern("sensor-" + std::to_string(i), &id));
    LONGS_EQUAL(i, id);
  }
  uint32_t id;
  CHECK(table.Find("sensor-4321", &id));
  LONGS_EQUAL(4321, id);
}

// Restoring a checkpoint: texts go back to their saved ids, ids skipped
// between them (lost races in the saved run) stay unused.
TEST(SymbolTable, RestoreAtPutsTextsAtTheirIds) {
  SymbolTable saved(16, 256);
  uint32_t id;
  CHECK(saved.Intern("const", &id));
  LONGS_EQUAL(1, saved.reserved_ids());
  CHECK(saved.state(0) == SymbolTable::IdState::kPublished);

  SymbolTable table(16, 256);
  CHECK(table.Intern("const", &id));  // the plan's constant
  CHECK(table.RestoreAt(1, "a"));
  CHECK(table.RestoreAt(4, "b"));      // 2 and 3 were lost races
  CHECK_FALSE(table.RestoreAt(3, "c"));  // ids go up only
  CHECK_FALSE(table.RestoreAt(5, "a"));  // a text has one id
  CHECK(table.Find("b", &id));
  LONGS_EQUAL(4, id);
  CHECK(table.state(2) == SymbolTable::IdState::kWasted);
  LONGS_EQUAL(5, table.reserved_ids());
  CHECK(table.Intern("new", &id));
  LONGS_EQUAL(5, id);
  STRCMP_EQUAL("a", std::string(table.Lookup(1)).c_str());
}
