#include "tools/cli/compile.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/common/log.h"
#include "core/graph/graph_file.h"
#include "tools/cli/atomic_file.h"
#include "tools/cli/cli.h"
#include "tools/cli/load_graph.h"

namespace runnel::cli {
namespace {

// The canonical absolute form of `path`'s directory; "" if it does not exist.
std::string RealDirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  char resolved[PATH_MAX];
  return realpath(dir.c_str(), resolved) != nullptr ? resolved : "";
}

std::string RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) != nullptr ? resolved : "";
}

// The file paths the graph gives relative to its own directory (an
// environment variable at the start may make a path absolute: not counted).
std::vector<std::string> RelativePaths(const graph::fb::Graph& g) {
  std::vector<std::string> paths;
  auto add = [&](const flatbuffers::String* path) {
    if (path == nullptr || path->size() == 0) return;
    std::string p = path->str();
    if (p != "-" && p[0] != '/' && p[0] != '$') paths.push_back(p);
  };
  if (g.sources() != nullptr) {
    for (const auto* source : *g.sources()) {
      if (source->csv() != nullptr) add(source->csv()->path());
      if (source->jsonl() != nullptr) add(source->jsonl()->path());
    }
  }
  if (g.sinks() != nullptr) {
    for (const auto* sink : *g.sinks()) {
      if (sink->csv() != nullptr) add(sink->csv()->path());
    }
  }
  return paths;
}

}  // namespace

int Compile(const std::string& graph_path, const std::string& output_path) {
  std::string real_graph = RealPath(graph_path);
  if (!real_graph.empty() && real_graph == RealPath(output_path)) {
    fprintf(stderr, "runnel: compile would overwrite its input %s; choose another -o\n",
            graph_path.c_str());
    return kExitUsage;
  }
  // Validate as `check` does, in this environment.
  graph::PhysicalPlan plan = LoadAndPlan(graph_path, file::CsvOverrides{});
  if (!plan.job) return kExitUsage;
  // Write the graph as written: variables stay for the device to fill in.
  auto raw = graph::GraphFile::Load(graph_path);
  if (!raw.ok()) {
    fprintf(stderr, "%s\n", raw.status().message().c_str());
    return kExitUsage;
  }
  const std::vector<uint8_t>& bytes = raw.value()->buffer();
  Status written = WriteFileAtomically(
      output_path,
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!written.ok()) {
    fprintf(stderr, "runnel: %s\n", written.message().c_str());
    return kExitFailure;
  }
  std::vector<std::string> relative = RelativePaths(raw.value()->graph());
  std::string graph_dir = RealDirectoryOf(graph_path);
  std::string output_dir = RealDirectoryOf(output_path);
  if (!relative.empty() && graph_dir != output_dir) {
    RUNNEL_LOG_WARN(
        "%s: relative paths (%s%s) resolve against the directory of the file loaded: "
        "%s will look for them in %s/, not %s/",
        output_path.c_str(), relative[0].c_str(), relative.size() > 1 ? ", ..." : "",
        output_path.c_str(), output_dir.c_str(), graph_dir.c_str());
  }
  printf("%s: compiled to %s (%zu bytes)\n", graph_path.c_str(), output_path.c_str(),
         bytes.size());
  return kExitOk;
}

}  // namespace runnel::cli
