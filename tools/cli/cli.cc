#include "tools/cli/cli.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/common/log.h"
#include "tools/cli/load_graph.h"
#include "tools/cli/run_job.h"

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
    "  plan GRAPH     show tasks, threads, rings, state and memory\n"
    "\n"
    "Options:\n"
    "  --help, -h     show this help (runnel VERB --help: help for a verb)\n"
    "  --version      print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid graph.\n"
    "Example:\n"
    "  runnel run examples/sensors/hot_readings.json\n";

constexpr const char* kRunUsage =
    "Usage: runnel run GRAPH [--strict] [--stats] [--stats-interval SECONDS]\n"
    "                        [--log-level LEVEL]\n"
    "\n"
    "Validates GRAPH, plans it, and runs it until every source is exhausted.\n"
    "Malformed input lines are logged to stderr with file:line and skipped.\n"
    "SIGINT or SIGTERM stops cleanly: inputs end, rows in flight are processed\n"
    "and every sink is flushed (a second signal cancels).\n"
    "\n"
    "  --strict                 a malformed input line stops the job (exit 1)\n"
    "  --stats                  print per-stage counters to stderr at exit\n"
    "  --stats-interval SECONDS also print them every SECONDS while running\n"
    "  --log-level LEVEL        debug, info (default), warn or error\n"
    "\n"
    "Example:\n"
    "  runnel run examples/sensors/hot_readings.json --stats\n";

constexpr const char* kPlanUsage =
    "Usage: runnel plan GRAPH\n"
    "\n"
    "Validates and plans GRAPH without running it, then prints the physical\n"
    "plan: the tasks (one thread each) with their fused operators, the rings\n"
    "between them, keyed state capacities, and the bytes preallocated per\n"
    "component. Exit 0 if valid, 2 if not.\n"
    "\n"
    "Example:\n"
    "  runnel plan examples/sensors/device_totals.json\n";

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
  bool help = false;
  RunOptions run;
};

int UsageError(const std::string& message, const char* usage) {
  fprintf(stderr, "runnel: %s\n\n%s", message.c_str(), usage);
  return kExitUsage;
}

const char* UsageFor(const std::string& verb) {
  if (verb == "run") return kRunUsage;
  if (verb == "check") return kCheckUsage;
  if (verb == "plan") return kPlanUsage;
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
      options->run.stats_at_exit = true;
    } else if (arg == "--stats-interval" && options->verb == "run") {
      char* end = nullptr;
      double seconds = i + 1 < argc ? strtod(argv[i + 1], &end) : 0;
      if (i + 1 >= argc || *end != '\0' || !(seconds > 0)) {
        return UsageError("--stats-interval expects a number of seconds > 0", usage);
      }
      options->run.stats_interval_s = seconds;
      ++i;
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

file::CsvOverrides CsvOverridesFrom(const Options& options) {
  file::CsvOverrides overrides;
  overrides.strict = options.strict;
  return overrides;
}

int Check(const Options& options) {
  graph::PhysicalPlan plan = LoadAndPlan(options.graph_path, CsvOverridesFrom(options));
  if (!plan.job) return kExitUsage;
  printf("%s: ok\n", options.graph_path.c_str());
  return kExitOk;
}

int PrintPlan(const Options& options) {
  graph::PhysicalPlan plan = LoadAndPlan(options.graph_path, CsvOverridesFrom(options));
  if (!plan.job) return kExitUsage;
  printf("plan of %s: %s", options.graph_path.c_str(), plan.description.c_str());
  return kExitOk;
}

int Run(const Options& options) {
  graph::PhysicalPlan plan = LoadAndPlan(options.graph_path, CsvOverridesFrom(options));
  if (!plan.job) return kExitUsage;
  Status status = RunJob(plan.job.get(), options.run);
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
  if (options.verb != "run" && options.verb != "check" && options.verb != "plan") {
    return UsageError("unknown verb '" + options.verb + "'", kUsage);
  }
  int parsed = ParseVerbArgs(argc, argv, &options);
  if (parsed != kExitOk) return parsed;
  if (options.help) {
    fputs(UsageFor(options.verb), stdout);
    return kExitOk;
  }
  if (options.verb == "run") return Run(options);
  if (options.verb == "plan") return PrintPlan(options);
  return Check(options);
}

}  // namespace runnel::cli
