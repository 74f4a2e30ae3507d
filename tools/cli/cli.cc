#include "tools/cli/cli.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/common/log.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "tools/cli/connectors.h"

namespace runnel::cli {
namespace {

constexpr const char* kUsage =
    "Usage: runnel VERB [ARGS]\n"
    "\n"
    "Runnel runs a stream-processing graph described by a graph file.\n"
    "\n"
    "Verbs:\n"
    "  run GRAPH      run the graph until its inputs are exhausted\n"
    "  check GRAPH    validate the graph file without running it\n"
    "\n"
    "Options:\n"
    "  --help, -h     show this help (runnel VERB --help: help for a verb)\n"
    "  --version      print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid graph.\n"
    "Example:\n"
    "  runnel run examples/sensors/hot_readings.json\n";

constexpr const char* kRunUsage =
    "Usage: runnel run GRAPH [--strict] [--stats] [--log-level LEVEL]\n"
    "\n"
    "Validates GRAPH, plans it, and runs it until every source is exhausted.\n"
    "Malformed input lines are logged to stderr with file:line and skipped.\n"
    "\n"
    "  --strict           a malformed input line stops the job (exit 1)\n"
    "  --stats            print rows in/out per stage to stderr at exit\n"
    "  --log-level LEVEL  debug, info (default), warn or error\n"
    "\n"
    "Example:\n"
    "  runnel run examples/sensors/hot_readings.json --stats\n";

constexpr const char* kCheckUsage =
    "Usage: runnel check GRAPH\n"
    "\n"
    "Validates GRAPH without opening its inputs or outputs: schema, names,\n"
    "stream wiring, filters, projections and connector options. Every error\n"
    "is printed as FILE:LINE: FIELD: MESSAGE. Exit 0 if valid, 2 if not.\n"
    "\n"
    "Example:\n"
    "  runnel check examples/sensors/hot_readings.json\n";

struct Options {
  std::string verb;
  std::string graph_path;
  bool strict = false;
  bool stats = false;
  bool help = false;
};

int UsageError(const std::string& message, const char* usage) {
  fprintf(stderr, "runnel: %s\n\n%s", message.c_str(), usage);
  return kExitUsage;
}

const char* UsageFor(const std::string& verb) {
  if (verb == "run") return kRunUsage;
  if (verb == "check") return kCheckUsage;
  return kUsage;
}

// Parses the arguments after the verb. Returns kExitOk, or an exit code to
// stop with.
int ParseVerbArgs(int argc, char** argv, Options* options) {
  const char* usage = UsageFor(options->verb);
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options->help = true;
    } else if (arg == "--strict" && options->verb == "run") {
      options->strict = true;
    } else if (arg == "--stats" && options->verb == "run") {
      options->stats = true;
    } else if (arg == "--log-level" && options->verb == "run") {
      log::Level level;
      if (i + 1 >= argc || !log::ParseLevel(argv[i + 1], &level)) {
        return UsageError("--log-level expects debug, info, warn or error", usage);
      }
      log::SetLevel(level);
      ++i;
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return UsageError("unknown option '" + arg + "' for " + options->verb, usage);
    } else if (options->graph_path.empty()) {
      options->graph_path = arg;
    } else {
      return UsageError("unexpected argument '" + arg + "'", usage);
    }
  }
  if (!options->help && options->graph_path.empty()) {
    return UsageError(options->verb + " needs a GRAPH file", usage);
  }
  return kExitOk;
}

// Loads, checks and plans the graph. Prints diagnostics and returns null on
// an invalid graph.
std::unique_ptr<runtime::Pipeline> LoadAndPlan(const Options& options) {
  auto file = graph::GraphFile::Load(options.graph_path);
  if (!file.ok()) {
    fprintf(stderr, "%s\n", file.status().message().c_str());
    return nullptr;
  }
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical = graph::BuildLogicalGraph(file.value(), &diagnostics);
  std::unique_ptr<runtime::Pipeline> pipeline;
  if (diagnostics.empty()) {
    file::CsvOverrides overrides;
    overrides.strict = options.strict;
    pipeline = graph::Plan(logical, MakeConnectors(overrides), graph::PlanOptions(),
                           &diagnostics);
  }
  if (!diagnostics.empty()) {
    fprintf(stderr, "%s\n", file.value()->Format(diagnostics).c_str());
    fprintf(stderr, "runnel: %zu error%s in %s\n", diagnostics.size(),
            diagnostics.size() == 1 ? "" : "s", options.graph_path.c_str());
    return nullptr;
  }
  return pipeline;
}

void PrintStats(const runtime::Pipeline& pipeline) {
  fprintf(stderr, "%-9s %-20s %12s %12s %10s\n", "stage", "name", "rows_in",
          "rows_out", "rejected");
  for (const runtime::StageStats& s : pipeline.Stats()) {
    fprintf(stderr, "%-9s %-20s %12llu %12llu %10llu\n", s.kind.c_str(),
            s.name.c_str(), static_cast<unsigned long long>(s.rows_in),
            static_cast<unsigned long long>(s.rows_out),
            static_cast<unsigned long long>(s.rejected));
  }
}

int Check(const Options& options) {
  std::unique_ptr<runtime::Pipeline> pipeline = LoadAndPlan(options);
  if (!pipeline) return kExitUsage;
  printf("%s: ok\n", options.graph_path.c_str());
  return kExitOk;
}

int Run(const Options& options) {
  std::unique_ptr<runtime::Pipeline> pipeline = LoadAndPlan(options);
  if (!pipeline) return kExitUsage;
  Status status = pipeline->Run();
  if (options.stats) PrintStats(*pipeline);
  if (!status.ok()) {
    RUNNEL_LOG_ERROR("%s", status.message().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing VERB", kUsage);
  Options options;
  options.verb = argv[1];
  if (options.verb == "--help" || options.verb == "-h" || options.verb == "help") {
    fputs(kUsage, stdout);
    return kExitOk;
  }
  if (options.verb == "--version") {
    printf("runnel %s\n", kVersion);
    return kExitOk;
  }
  if (options.verb != "run" && options.verb != "check") {
    return UsageError("unknown verb '" + options.verb + "'", kUsage);
  }
  int parsed = ParseVerbArgs(argc, argv, &options);
  if (parsed != kExitOk) return parsed;
  if (options.help) {
    fputs(UsageFor(options.verb), stdout);
    return kExitOk;
  }
  return options.verb == "run" ? Run(options) : Check(options);
}

}  // namespace runnel::cli
