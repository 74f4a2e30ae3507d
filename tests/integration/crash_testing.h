// Helpers of the crash tests that kill real runnel processes: the output a
// checkpointed CSV sink committed, a readable first difference of two
// outputs, and waiting for a run's first stored checkpoint.
#pragma once

#include <cstdint>
#include <string>

#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace runnel::testing {

// `rows` readings (device,ts,temp,humidity) from 1,000 devices, 2 ms
// apart, up to 500 ms out of order; with `very_late`, one in 2,000 more
// than 7 s late.
std::string GenerateReadings(int rows, bool very_late);

// The committed part files of the sink writing `path` (relative to `dir`),
// concatenated in order; *in_progress counts parts not committed.
std::string CommittedParts(const TempDir& dir, const std::string& path, int* in_progress);

// The lines of `text`, sorted (each with its line break): for outputs whose
// row order depends on thread or network timing.
std::string SortedLines(const std::string& text);

// "" when equal, else where the two first differ, for a failure message.
std::string FirstDifference(const std::string& expected, const std::string& got);

// Waits until a run started with --log-level debug has stored its first
// checkpoint, or has exited.
void WaitForFirstCheckpoint(Process* process);

// Monotonic milliseconds.
int64_t NowMs();

// Whether a run (its --log-level debug stderr) was killed while writing a
// checkpoint: between "checkpoint N writing" and "checkpoint N stored".
bool KilledDuringWrite(const std::string& err);

}  // namespace runnel::testing
