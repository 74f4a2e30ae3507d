// The help texts of the runnel command line: `runnel --help` and
// `runnel VERB --help` for every verb, each with examples.
#pragma once

#include <string>

namespace runnel::cli {

// The overview of every verb.
extern const char* const kUsage;

// The help of `verb`; the overview for a verb that does not exist.
const char* UsageFor(const std::string& verb);

// Whether `verb` is one of run, check, plan, compile, fmt.
bool IsVerb(const std::string& verb);

}  // namespace runnel::cli
