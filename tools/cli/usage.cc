#include "tools/cli/usage.h"

namespace runnel::cli {
namespace {

constexpr const char* kRunUsage =
    "Usage: runnel run GRAPH [--strict] [--stats] [--stats-interval SECONDS]\n"
    "                        [--log-level LEVEL] [--savepoint DIR]\n"
    "                        [--from-savepoint DIR [--allow-non-restored-state]]\n"
    "\n"
    "Validates GRAPH (JSON or compiled), plans it, and runs it until every\n"
    "source is exhausted. ${NAME} and ${NAME:-default} in string values are\n"
    "taken from the environment. Malformed input lines are logged to stderr\n"
    "with file:line and skipped. SIGINT or SIGTERM stops cleanly: inputs end,\n"
    "rows in flight are processed and every sink is flushed (a second signal\n"
    "cancels). Logs go to stderr, one line per event with a UTC timestamp and\n"
    "a level.\n"
    "\n"
    "  --strict                 a malformed input line stops the job (exit 1)\n"
    "  --stats                  print per-stage counters to stderr at exit\n"
    "  --stats-interval SECONDS also print them every SECONDS while running\n"
    "  --log-level LEVEL        debug, info (default), warn or error\n"
    "With checkpoints (a graph's \"checkpoint\"; docs/STATE.md):\n"
    "  --savepoint DIR          on SIGINT/SIGTERM, also write all state to the\n"
    "                           savepoint DIR\n"
    "  --from-savepoint DIR     start from savepoint DIR (into an empty state\n"
    "                           directory), matching state to stages by name\n"
    "  --allow-non-restored-state\n"
    "                           leave out savepoint state this graph has no\n"
    "                           stage (or another layout) for\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid graph.\n"
    "Examples:\n"
    "  runnel run examples/sensors/hot_readings.json --stats\n"
    "  runnel run examples/checkpointed/graph.json --savepoint /tmp/sp\n"
    "  DEVICE_ID=gw-7 runnel run /etc/runnel/graph.bin\n";

constexpr const char* kSavepointUsage =
    "Usage: runnel savepoint STATE_DIR DIR\n"
    "       runnel savepoint inspect DIR\n"
    "\n"
    "STATE_DIR DIR: asks the job running with checkpoint directory STATE_DIR\n"
    "(its graph's checkpoint.dir) for a savepoint into DIR, through the job's\n"
    "control socket (STATE_DIR/control), and waits until it is written: a\n"
    "full checkpoint, taken at the job's next batch boundary; the job goes on.\n"
    "Exit 0 with the checkpoint's id, or 1 if no job runs there or the\n"
    "savepoint failed.\n"
    "\n"
    "inspect DIR: lists what savepoint DIR holds: when it was taken, and per\n"
    "stage (source/NAME, op/NAME, sink/NAME, symbols) its entries and bytes.\n"
    "Exit 0, or 1 if DIR is not a savepoint.\n"
    "\n"
    "Examples:\n"
    "  runnel savepoint /var/lib/runnel/state /var/lib/runnel/sp-1\n"
    "  runnel savepoint inspect /var/lib/runnel/sp-1\n";

constexpr const char* kCheckUsage =
    "Usage: runnel check GRAPH\n"
    "\n"
    "Validates GRAPH (JSON or compiled) without opening its inputs or outputs:\n"
    "schema, names, stream wiring, filters, projections, connector options and\n"
    "environment variables (every ${NAME} that is unset and has no default).\n"
    "Every error is printed as FILE:LINE: FIELD: MESSAGE (FILE: FIELD: MESSAGE\n"
    "for a compiled graph). Exit 0 if valid, 2 if not.\n"
    "\n"
    "Examples:\n"
    "  runnel check examples/sensors/hot_readings.json\n"
    "  DEVICE_ID=gw-7 runnel check graph.bin\n";

constexpr const char* kPlanUsage =
    "Usage: runnel plan GRAPH\n"
    "\n"
    "Validates and plans GRAPH (JSON or compiled) without running it, then\n"
    "prints the physical plan: the tasks (one thread each) with their fused\n"
    "operators, the rings between them, keyed state capacities, and the bytes\n"
    "preallocated per component. Exit 0 if valid, 2 if not.\n"
    "\n"
    "Example:\n"
    "  runnel plan examples/sensors/device_totals.json\n";

constexpr const char* kCompileUsage =
    "Usage: runnel compile GRAPH -o OUT\n"
    "\n"
    "Validates GRAPH as `runnel check` does (in the current environment), then\n"
    "writes its compiled binary form (FlatBuffers, file identifier RNLG) to OUT:\n"
    "smaller, and loaded without parsing JSON. run, check and plan accept it\n"
    "as they accept JSON. ${NAME} references are kept as written and filled in\n"
    "from the environment of whoever loads OUT, so one file serves a fleet.\n"
    "Relative paths in the graph resolve against the directory of the file\n"
    "loaded, so keep OUT beside its data (a warning says when it is not).\n"
    "OUT is replaced atomically (temporary file, then rename).\n"
    "\n"
    "  -o, --output OUT   the file to write\n"
    "\n"
    "Exit codes: 0 written, 1 OUT could not be written, 2 bad usage or\n"
    "invalid graph.\n"
    "Examples:\n"
    "  runnel compile examples/sensors/hot_readings.json -o hot_readings.bin\n"
    "  DEVICE_ID=test runnel compile graph.json -o /srv/fleet/graph.bin\n";

constexpr const char* kFmtUsage =
    "Usage: runnel fmt GRAPH [-w] [--drop-comments]\n"
    "\n"
    "Prints GRAPH in canonical form: fields in schema order, quoted keys,\n"
    "2-space indent, one field or array element per line. Fields the file\n"
    "writes are kept (even at their default), fields it leaves out stay out,\n"
    "and ${NAME} references stay as written. Formatting a formatted file\n"
    "changes nothing, and the result parses to the same graph. Comments before\n"
    "the opening '{' are kept; the parser drops all others, so fmt refuses a\n"
    "file with comments elsewhere unless --drop-comments. A compiled GRAPH is\n"
    "printed as JSON. fmt only needs GRAPH to parse; `runnel check` validates.\n"
    "\n"
    "  -w, --write        rewrite GRAPH in place (atomically) instead of printing\n"
    "  --drop-comments    format even though comments inside the graph are lost\n"
    "\n"
    "Exit codes: 0 ok, 1 GRAPH could not be written, 2 bad usage, a graph that\n"
    "does not parse, or comments in the way.\n"
    "Examples:\n"
    "  runnel fmt graph.json > formatted.json\n"
    "  runnel fmt -w graph.json\n"
    "  runnel fmt graph.bin    # the JSON form of a compiled graph\n";

constexpr const char* kKeygenUsage =
    "Usage: runnel keygen OUT [--force]\n"
    "\n"
    "Writes a new CURVE key pair (for encrypted, authenticated ZeroMQ links;\n"
    "docs/WIRE.md, Security) to OUT, readable by its owner only (mode 0600),\n"
    "and prints the public key. OUT has two lines, `public: KEY` and\n"
    "`secret: KEY` (40 Z85 characters each). Name OUT as a zmq source's or\n"
    "sink's curve.secret_key_file (server) or curve.key_file (client); give\n"
    "the public key to the peers (server_public_key, allowed_clients).\n"
    "\n"
    "  --force    replace OUT if it exists (by default keygen refuses)\n"
    "\n"
    "Exit codes: 0 written, 1 OUT exists or could not be written, 2 bad usage.\n"
    "Examples:\n"
    "  runnel keygen /etc/runnel/gateway.key\n"
    "  grep public: device.key >> /etc/runnel/allowed_clients\n";

}  // namespace

const char* const kUsage =
    "Usage: runnel VERB [ARGS]\n"
    "\n"
    "Runnel runs a stream-processing graph described by a graph file: JSON\n"
    "(comments allowed) or compiled binary.\n"
    "\n"
    "Verbs:\n"
    "  run GRAPH            run the graph until its inputs are exhausted\n"
    "  check GRAPH          validate the graph file without running it\n"
    "  plan GRAPH           show tasks, threads, rings, state and memory\n"
    "  compile GRAPH -o OUT validate, then write the compiled binary form\n"
    "  fmt GRAPH [-w]       print (or rewrite) a graph file in canonical form\n"
    "  keygen OUT           write a CURVE key pair for secure ZeroMQ links\n"
    "  savepoint STATE DIR  write a savepoint of the job running in STATE\n"
    "  savepoint inspect DIR  list what a savepoint holds\n"
    "\n"
    "Options:\n"
    "  --help, -h     show this help (runnel VERB --help: help for a verb)\n"
    "  --version      print the version\n"
    "\n"
    "String values may use ${NAME} and ${NAME:-default}, substituted from the\n"
    "environment whenever a graph is loaded ($$ is a literal $).\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid graph.\n"
    "Examples:\n"
    "  runnel run examples/sensors/hot_readings.json\n"
    "  runnel compile examples/sensors/hot_readings.json -o hot_readings.bin\n"
    "  runnel fmt -w my_graph.json\n";

const char* UsageFor(const std::string& verb) {
  if (verb == "run") return kRunUsage;
  if (verb == "check") return kCheckUsage;
  if (verb == "plan") return kPlanUsage;
  if (verb == "compile") return kCompileUsage;
  if (verb == "fmt") return kFmtUsage;
  if (verb == "keygen") return kKeygenUsage;
  if (verb == "savepoint") return kSavepointUsage;
  return kUsage;
}

bool IsVerb(const std::string& verb) { return UsageFor(verb) != kUsage; }

}  // namespace runnel::cli
