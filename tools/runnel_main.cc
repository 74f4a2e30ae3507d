// The runnel binary: see tools/cli/cli.h.
#include "tools/cli/cli.h"

int main(int argc, char** argv) { return runnel::cli::Main(argc, argv); }
