// EnvSubstitution: `${NAME}` and `${NAME:-default}` in a graph's string
// values are replaced from the environment when the graph is loaded, so one
// graph file (or one compiled graph) can serve a whole fleet of gateways,
// each with its own DEVICE_ID. `$$` is a literal `$`; a `$` followed by
// anything else is kept as it is. docs/GRAPH.md ("Environment variables")
// is the user-facing contract.
//
// Setup-time only (allocates). Thread-safe as long as the EnvLookup is.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph/diagnostics.h"

namespace runnel::graph {

// The value of environment variable `name`, or null when it is not set.
using EnvLookup = std::function<const char*(const std::string& name)>;

// Looks names up in the process environment (getenv).
EnvLookup ProcessEnvironment();

// Substitutes in `raw`, the text between the quotes of one JSON string with
// its escapes as written, and returns JSON string text again: values from the
// environment are escaped, defaults are copied as written. `${NAME:-default}`
// takes the default when NAME is unset or empty (as the shell does); the
// default ends at the first `}` and is not itself substituted. Each problem
// (an unset variable without a default, a malformed reference) is appended to
// `problems`; the returned text is meaningless then.
std::string SubstituteEnvInString(std::string_view raw, const EnvLookup& env,
                                  std::vector<std::string>* problems);

// Substitutes in every string value, not in keys, of JSON text without
// comments (as GraphToJson writes it). Each problem becomes a diagnostic
// naming the value's field path ("sinks[0].csv.path"), with no line: the
// caller formats it against the file the graph came from.
std::string SubstituteEnvInJson(std::string_view json, const EnvLookup& env,
                                Diagnostics* diagnostics);

}  // namespace runnel::graph
