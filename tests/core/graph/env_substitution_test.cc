#include "core/graph/env_substitution.h"

#include <map>
#include <string>
#include <vector>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::Diagnostics;
using runnel::graph::EnvLookup;
using runnel::graph::SubstituteEnvInJson;
using runnel::graph::SubstituteEnvInString;

namespace {

// An environment holding exactly `vars`.
EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

std::string Sub(const std::string& raw, const EnvLookup& env,
                std::vector<std::string>* problems = nullptr) {
  std::vector<std::string> ignored;
  return SubstituteEnvInString(raw, env, problems ? problems : &ignored);
}

}  // namespace

TEST_GROUP(EnvSubstitution){};

TEST(EnvSubstitution, ReplacesSetVariables) {
  EnvLookup env = Env({{"DEVICE_ID", "gw-7"}, {"DIR", "/data"}});
  STRCMP_EQUAL("gw-7", Sub("${DEVICE_ID}", env).c_str());
  STRCMP_EQUAL("/data/gw-7.csv", Sub("${DIR}/${DEVICE_ID}.csv", env).c_str());
  STRCMP_EQUAL("no variables", Sub("no variables", env).c_str());
}

TEST(EnvSubstitution, DefaultsWhenUnsetOrEmpty) {
  EnvLookup env = Env({{"EMPTY", ""}, {"SET", "x"}});
  STRCMP_EQUAL("fallback", Sub("${UNSET:-fallback}", env).c_str());
  STRCMP_EQUAL("fallback", Sub("${EMPTY:-fallback}", env).c_str());
  STRCMP_EQUAL("x", Sub("${SET:-fallback}", env).c_str());
  STRCMP_EQUAL("", Sub("${UNSET:-}", env).c_str());
  // A set but empty variable without a default is empty, as in the shell.
  STRCMP_EQUAL("[]", Sub("[${EMPTY}]", env).c_str());
  // Defaults are literal text up to the first '}'.
  STRCMP_EQUAL("a:-b$$c", Sub("${UNSET:-a:-b$$c}", env).c_str());
}

TEST(EnvSubstitution, DollarDollarIsALiteralDollarAndALoneDollarStays) {
  EnvLookup env = Env({{"X", "1"}});
  STRCMP_EQUAL("${X}", Sub("$${X}", env).c_str());
  STRCMP_EQUAL("$1", Sub("$$${X}", env).c_str());
  STRCMP_EQUAL("price $5 $", Sub("price $5 $", env).c_str());
}

TEST(EnvSubstitution, ValuesAreEscapedForJson) {
  EnvLookup env = Env({{"Q", "a\"b\\c\nd"}});
  STRCMP_EQUAL("a\\\"b\\\\c\\u000ad", Sub("${Q}", env).c_str());
}

TEST(EnvSubstitution, ReportsEveryProblem) {
  std::vector<std::string> problems;
  Sub("${A}-${B:-ok}-${C}", Env({}), &problems);
  LONGS_EQUAL(2, problems.size());
  STRCMP_EQUAL("environment variable A is not set (no default)", problems[0].c_str());
  STRCMP_EQUAL("environment variable C is not set (no default)", problems[1].c_str());

  problems.clear();
  Sub("${1X} ${} ${A-B}", Env({}), &problems);
  LONGS_EQUAL(3, problems.size());
  STRCMP_CONTAINS("'${1X}' is not an environment variable reference", problems[0].c_str());
  STRCMP_CONTAINS("$$ for a literal $", problems[0].c_str());

  problems.clear();
  Sub("abc ${OPEN", Env({}), &problems);
  LONGS_EQUAL(1, problems.size());
  STRCMP_CONTAINS("unterminated '${'", problems[0].c_str());
}

TEST(EnvSubstitution, JsonValuesNotKeysWithFieldPaths) {
  std::string json =
      "{\n"
      "  \"${KEY}\": \"${V}\",\n"
      "  \"sinks\": [\n"
      "    {\n"
      "      \"name\": \"${A}\",\n"
      "      \"csv\": {\n"
      "        \"path\": \"out-${B}-${C}.csv\"\n"
      "      }\n"
      "    }\n"
      "  ]\n"
      "}\n";
  Diagnostics diagnostics;
  std::string out =
      SubstituteEnvInJson(json, Env({{"V", "v"}, {"A", "a\""}, {"KEY", "k"}}), &diagnostics);
  LONGS_EQUAL(2, diagnostics.size());
  STRCMP_EQUAL("sinks[0].csv.path", diagnostics.items()[0].field_path.c_str());
  STRCMP_EQUAL("environment variable B is not set (no default)",
               diagnostics.items()[0].message.c_str());
  STRCMP_EQUAL("sinks[0].csv.path", diagnostics.items()[1].field_path.c_str());
  LONGS_EQUAL(0, diagnostics.items()[0].line);  // formatted against the file later

  Diagnostics none;
  out = SubstituteEnvInJson(json, Env({{"V", "v"}, {"A", "a\""}, {"B", "1"}, {"C", "2"}}), &none);
  CHECK(none.empty());
  STRCMP_CONTAINS("\"${KEY}\": \"v\"", out.c_str());
  STRCMP_CONTAINS("\"name\": \"a\\\"\"", out.c_str());
  STRCMP_CONTAINS("\"path\": \"out-1-2.csv\"", out.c_str());
}
