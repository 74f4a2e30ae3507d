#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "tests/testing/emulator.h"
#include "tests/testing/temp_dir.h"

namespace runnel::testing {

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_text,
                         const std::vector<std::string>* environment) {
  // Files rather than pipes: no deadlock however much the child prints.
  TempDir dir;
  std::string in_path = dir.Write("stdin", stdin_text);
  std::string out_path = dir.File("stdout");
  std::string err_path = dir.File("stderr");
  const std::vector<std::string> command = WithEmulator(argv);
  std::vector<char*> args;
  for (const std::string& a : command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  if (environment != nullptr) {
    for (const std::string& e : *environment) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (environment != nullptr) {
      execve(args[0], args.data(), env.data());
    } else {
      execv(args[0], args.data());
    }
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

}  // namespace runnel::testing
