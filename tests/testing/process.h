// Process: a real program running alongside the test, for tests of how the
// runnel binary streams and shuts down. The test writes its standard input
// through a pipe while it runs (keeping the pipe open as long as it likes),
// sends it signals, and waits for its exit with a time limit, so a hang fails
// the test instead of stalling it. Standard output and error go to files that
// can be read at any time (no deadlock however much it prints); standard
// output can instead be a pipe the test leaves unread, to make the program
// block on it (backpressure). For a program that simply runs to its end,
// RunProcess (subprocess.h) is simpler.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/temp_dir.h"

namespace runnel::testing {

class Process {
 public:
  enum class Stdout { kFile, kPipe };

  // Starts argv[0] (a path) with `argv`; started() says whether it did.
  explicit Process(const std::vector<std::string>& argv, Stdout out = Stdout::kFile);
  // Kills (SIGKILL) and reaps the program if it is still running.
  ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Writes `text` to the program's standard input, waiting while the pipe
  // is full for at most `timeout_ms` in all. Returns the bytes written:
  // fewer than text.size() after the time limit or once the program has
  // closed its end.
  size_t Write(std::string_view text, int timeout_ms = 10000);
  // Closes the pipe: the program reads end of input.
  void CloseStdin();
  // Bytes written to standard input that the program has not read yet.
  size_t StdinUnread() const;

  // Sends `signal`; false if the program has already been reaped.
  bool Signal(int signal);

  // Waits at most `timeout_ms` for the program to exit; false if it is
  // still running then.
  bool Wait(int timeout_ms);
  bool exited() const { return exited_; }
  // After an exit: the exit code, or -1 if a signal ended it.
  int exit_code() const { return exit_code_; }
  // After an exit: the signal that ended it, or 0.
  int term_signal() const { return term_signal_; }

  // Standard error so far.
  std::string Err() const;
  // Standard output so far (Stdout::kPipe: what ReadOut has read).
  std::string Out() const;
  // Stdout::kPipe: reads standard output until end of file or `timeout_ms`;
  // returns whether it reached end of file. What was read is in Out().
  bool ReadOut(int timeout_ms);

  // Checks `done(Err())` every few milliseconds for at most `timeout_ms`;
  // returns whether it became true.
  bool WaitForErr(const std::function<bool(const std::string&)>& done, int timeout_ms);

 private:
  TempDir dir_;  // stdout and stderr files
  pid_t pid_ = -1;
  int stdin_fd_ = -1;   // write end, non-blocking
  int stdout_fd_ = -1;  // read end (Stdout::kPipe), non-blocking
  std::string out_;     // read from the stdout pipe
  bool exited_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

}  // namespace runnel::testing
