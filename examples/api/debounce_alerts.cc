// Example of embedding Runnel with the C++ DataStream API: alerts after
// three consecutive readings above 33 °C per device.
//
//   bazel run //examples/api:debounce_alerts -- [READINGS.csv] [LIMIT] [COUNT]
//
// Reads the bundled sensor readings by default and writes alerts as CSV
// (device, ts, temp, streak) to standard output.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/api/datastream.h"
#include "examples/api/debounce.h"
#include "transports/connectors/connectors.h"

int main(int argc, char** argv) {
  using runnel::schema::FieldType;
  using runnel::schema::TimeUnit;
  // `bazel run` starts in the runfiles tree; BUILD_WORKSPACE_DIRECTORY is the
  // checkout, where relative paths given by the user belong.
  std::string path = argc > 1 ? argv[1] : "examples/sensors/readings.csv";
  const char* workspace = getenv("BUILD_WORKSPACE_DIRECTORY");
  if (workspace != nullptr && !path.empty() && path[0] != '/') {
    path = std::string(workspace) + "/" + path;
  }
  runnel::examples::Debounce debounce;
  if (argc > 2) debounce.limit = atof(argv[2]);
  if (argc > 3) debounce.consecutive = atoll(argv[3]);

  runnel::api::Environment env;
  env.FromCsv("readings",
              {{"device", FieldType::kSym, TimeUnit::kMs},
               {"ts", FieldType::kTs, TimeUnit::kMs},
               {"temp", FieldType::kF64, TimeUnit::kMs},
               {"humidity", FieldType::kF64, TimeUnit::kMs}},
              path)
      .KeyBy({"device"})
      .Process("alerts", debounce)
      .ToCsv("-");
  runnel::Status status = env.Execute(runnel::transports::MakeConnectors());
  if (!status.ok()) {
    fprintf(stderr, "debounce_alerts: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
