// docs/GRAPH.md must document every table, field and enum value of
// core/graph/graph.fbs, so the reference cannot drift from the schema.
#include <string>

#include "core/graph/graph_reflection.h"
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

// "runnel.graph.fb.Window" -> "Window".
std::string ShortName(const flatbuffers::String* name) {
  const std::string full = name->str();
  return full.substr(full.rfind('.') + 1);
}

}  // namespace

TEST_GROUP(GraphDoc) {
  const reflection::Schema& schema = runnel::graph::GraphSchema();
  std::string doc = runnel::testing::ReadFile("docs/GRAPH.md");

  void setup() override { CHECK(!doc.empty()); }
};

TEST(GraphDoc, EveryTableAndFieldIsDocumented) {
  for (const reflection::Object* table : *schema.objects()) {
    const std::string name = ShortName(table->name());
    std::string section = Section(doc, name);
    CHECK_TEXT(!section.empty(), ("docs/GRAPH.md has no section '### " + name + "'").c_str());
    for (const reflection::Field* field : *table->fields()) {
      std::string row = "| `" + field->name()->str() + "` |";
      CHECK_TEXT(section.find(row) != std::string::npos,
                 ("docs/GRAPH.md section " + name + " does not document field '" +
                  field->name()->str() + "'").c_str());
    }
  }
}

TEST(GraphDoc, EveryEnumValueIsDocumented) {
  for (const reflection::Enum* e : *schema.enums()) {
    for (const reflection::EnumVal* value : *e->values()) {
      CHECK_TEXT(doc.find("`" + value->name()->str() + "`") != std::string::npos,
                 ("docs/GRAPH.md does not mention " + ShortName(e->name()) + " value '" +
                  value->name()->str() + "'").c_str());
    }
  }
}
