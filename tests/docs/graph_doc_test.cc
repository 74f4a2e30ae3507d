// docs/GRAPH.md must document every table, field and enum value of
// core/graph/graph.fbs, so the reference cannot drift from the schema.
#include <string>

#include "flatbuffers/idl.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

namespace {

// The text of the "### NAME" section of `doc`, up to the next heading.
std::string Section(const std::string& doc, const std::string& name) {
  size_t start = doc.find("\n### " + name + "\n");
  if (start == std::string::npos) return "";
  size_t end = doc.find("\n### ", start + 1);
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

TEST_GROUP(GraphDoc) {
  flatbuffers::Parser parser;
  std::string doc = runnel::testing::ReadFile("docs/GRAPH.md");

  void setup() override {
    std::string schema = runnel::testing::ReadFile("core/graph/graph.fbs");
    CHECK_TEXT(parser.Parse(schema.c_str()), parser.error_.c_str());
    CHECK(!doc.empty());
  }
};

TEST(GraphDoc, EveryTableAndFieldIsDocumented) {
  for (const flatbuffers::StructDef* table : parser.structs_.vec) {
    std::string section = Section(doc, table->name);
    CHECK_TEXT(!section.empty(), ("docs/GRAPH.md has no section '### " + table->name + "'").c_str());
    for (const flatbuffers::FieldDef* field : table->fields.vec) {
      std::string row = "| `" + field->name + "` |";
      CHECK_TEXT(section.find(row) != std::string::npos,
                 ("docs/GRAPH.md section " + table->name + " does not document field '" +
                  field->name + "'").c_str());
    }
  }
}

TEST(GraphDoc, EveryEnumValueIsDocumented) {
  for (const flatbuffers::EnumDef* e : parser.enums_.vec) {
    for (const flatbuffers::EnumVal* value : e->Vals()) {
      CHECK_TEXT(doc.find("`" + value->name + "`") != std::string::npos,
                 ("docs/GRAPH.md does not mention " + e->name + " value '" + value->name +
                  "'").c_str());
    }
  }
}
