#include "tools/cli/cli.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/common/log.h"
#include "tools/cli/checkpoints.h"
#include "tools/cli/compile.h"
#include "tools/cli/fmt.h"
#include "tools/cli/keygen.h"
#include "tools/cli/load_graph.h"
#include "tools/cli/run_job.h"
#include "tools/cli/usage.h"

namespace runnel::cli {
namespace {

struct Options {
  std::string verb;
  std::string graph_path;
  std::string output_path;  // compile
  bool force = false;        // keygen
  bool strict = false;
  bool help = false;
  bool savepoint_inspect = false;
  RunOptions run;
  FmtOptions fmt;
  SavepointOptions savepoints;  // run
};

int UsageError(const std::string& message, const char* usage) {
  fprintf(stderr, "runnel: %s\n\n%s", message.c_str(), usage);
  return kExitUsage;
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
    } else if ((arg == "--savepoint" || arg == "--from-savepoint") && options->verb == "run") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') {
        return UsageError(arg + " expects a directory", usage);
      }
      (arg == "--savepoint" ? options->savepoints.write_to : options->savepoints.start_from) =
          argv[++i];
    } else if (arg == "--allow-non-restored-state" && options->verb == "run") {
      options->savepoints.allow_non_restored = true;
    } else if (arg == "inspect" && options->verb == "savepoint" &&
               options->graph_path.empty() && !options->savepoint_inspect) {
      options->savepoint_inspect = true;
    } else if ((arg == "-o" || arg == "--output") && options->verb == "compile") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') {
        return UsageError(arg + " expects the file to write", usage);
      }
      options->output_path = argv[++i];
    } else if ((arg == "-w" || arg == "--write") && options->verb == "fmt") {
      options->fmt.write = true;
    } else if (arg == "--drop-comments" && options->verb == "fmt") {
      options->fmt.drop_comments = true;
    } else if (arg == "--force" && options->verb == "keygen") {
      options->force = true;
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return UsageError("unknown option '" + arg + "' for " + options->verb, usage);
    } else if (options->graph_path.empty()) {
      options->graph_path = arg;
    } else if (options->verb == "savepoint" && !options->savepoint_inspect &&
               options->output_path.empty()) {
      options->output_path = arg;  // runnel savepoint STATE_DIR DIR
    } else {
      return UsageError("unexpected argument '" + arg + "'", usage);
    }
  }
  if (options->help) return kExitOk;
  if (options->verb == "savepoint" && options->graph_path.empty()) {
    return UsageError("savepoint takes: STATE_DIR DIR, or inspect DIR", usage);
  }
  if (options->verb == "savepoint" && !options->savepoint_inspect &&
      options->output_path.empty()) {
    return UsageError("savepoint STATE_DIR needs DIR, the savepoint to write", usage);
  }
  if (options->graph_path.empty() && options->verb == "keygen") {
    return UsageError("keygen needs OUT, the key pair file to write", usage);
  }
  if (options->graph_path.empty()) {
    return UsageError(options->verb + " needs a GRAPH file", usage);
  }
  if (options->verb == "compile" && options->output_path.empty()) {
    return UsageError("compile needs -o OUT, the file to write", usage);
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
  auto checkpoints = SetUpCheckpoints(&plan, options.savepoints, [&options] {
    return LoadAndPlan(options.graph_path, CsvOverridesFrom(options));
  });
  if (!checkpoints.ok()) {
    RUNNEL_LOG_ERROR("%s", checkpoints.status().message().c_str());
    return kExitFailure;
  }
  if (checkpoints.value().finished) return kExitOk;
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
  if (!IsVerb(options.verb)) {
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
  if (options.verb == "compile") return Compile(options.graph_path, options.output_path);
  if (options.verb == "fmt") return Fmt(options.graph_path, options.fmt);
  if (options.verb == "keygen") return Keygen(options.graph_path, options.force);
  if (options.verb == "savepoint") {
    return options.savepoint_inspect ? InspectSavepoint(options.graph_path)
                                     : TakeSavepoint(options.graph_path, options.output_path);
  }
  return Check(options);
}

}  // namespace runnel::cli
