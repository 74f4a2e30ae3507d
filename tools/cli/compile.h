// `runnel compile GRAPH -o OUT`: validates GRAPH exactly as `runnel check`
// does (environment variables substituted from the current environment),
// then writes its binary FlatBuffers form (file identifier "RNLG") to OUT
// atomically. Environment variable references are written as they are, so
// every device that loads OUT substitutes its own values.
#pragma once

#include <string>

namespace runnel::cli {

// Returns the process exit code: 0 written, 1 OUT could not be written,
// 2 bad usage or an invalid graph.
int Compile(const std::string& graph_path, const std::string& output_path);

}  // namespace runnel::cli
