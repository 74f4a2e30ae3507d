// WithEmulator: the command line that starts a program built for the test's
// own target. Tests of the runnel binary start it as a child process; when
// the suite runs under qemu-user (bazel test --config=arm64 or armv7), the
// child is an ARM binary too and the kernel cannot run it directly, so the
// config names the emulator in RUNNEL_TEST_EMULATOR (a command line: an
// absolute path and its options, split at spaces; the options, not the
// environment, carry the sysroot, since some tests give the child an empty
// environment) and every child starts under it. Unset on the host: argv is
// returned as is.
#pragma once

#include <string>
#include <vector>

namespace runnel::testing {

// Call before fork(): it allocates.
std::vector<std::string> WithEmulator(const std::vector<std::string>& argv);

}  // namespace runnel::testing
