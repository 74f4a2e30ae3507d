#include "tests/testing/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "tests/testing/emulator.h"

namespace runnel::testing {
namespace {

int64_t NowMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000;
}

void SleepMs(int ms) {
  timespec pause{0, static_cast<long>(ms) * 1000000};
  nanosleep(&pause, nullptr);
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

Process::Process(const std::vector<std::string>& argv, Stdout out) {
  std::string out_path = dir_.File("stdout");
  std::string err_path = dir_.File("stderr");
  int in_pipe[2], out_pipe[2] = {-1, -1};
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return;
  if (out == Stdout::kPipe && pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return;
  }
  const std::vector<std::string> command = WithEmulator(argv);
  std::vector<char*> args;
  for (const std::string& a : command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    int out_fd = out == Stdout::kPipe
                     ? out_pipe[1]
                     : open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0 || err_fd < 0) _exit(127);
    dup2(in_pipe[0], 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    // A clean signal state whatever the test runner's.
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  if (pid < 0) {
    close(in_pipe[1]);
    if (out_pipe[0] >= 0) close(out_pipe[0]);
    return;
  }
  pid_ = pid;
  stdin_fd_ = in_pipe[1];
  SetNonBlocking(stdin_fd_);
  stdout_fd_ = out_pipe[0];
  if (stdout_fd_ >= 0) SetNonBlocking(stdout_fd_);
}

Process::~Process() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  CloseStdin();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

size_t Process::Write(std::string_view text, int timeout_ms) {
  if (stdin_fd_ < 0) return 0;
  // A write to a pipe the program has closed raises SIGPIPE: keep it blocked
  // and take it back, so that it becomes an EPIPE error here.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  const int64_t deadline = NowMs() + timeout_ms;
  size_t written = 0;
  bool broken = false;
  while (written < text.size()) {
    ssize_t n = write(stdin_fd_, text.data() + written, text.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      broken = errno == EPIPE;
      break;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0) break;
    pollfd wait{stdin_fd_, POLLOUT, 0};
    poll(&wait, 1, static_cast<int>(left));
  }
  if (broken) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_signal, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return written;
}

void Process::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

size_t Process::StdinUnread() const {
  int unread = 0;
  if (stdin_fd_ < 0 || ioctl(stdin_fd_, FIONREAD, &unread) != 0) return 0;
  return static_cast<size_t>(unread);
}

bool Process::Signal(int signal) {
  if (pid_ <= 0 || exited_) return false;
  return kill(pid_, signal) == 0;
}

bool Process::Wait(int timeout_ms) {
  if (pid_ <= 0) return false;
  const int64_t deadline = NowMs() + timeout_ms;
  while (!exited_) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      term_signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      break;
    }
    if (NowMs() >= deadline) return false;
    SleepMs(5);
  }
  return true;
}

std::string Process::Err() const { return ReadFile(dir_.File("stderr")); }

std::string Process::Out() const {
  return stdout_fd_ >= 0 || !out_.empty() ? out_ : ReadFile(dir_.File("stdout"));
}

bool Process::ReadOut(int timeout_ms) {
  if (stdout_fd_ < 0) return false;
  const int64_t deadline = NowMs() + timeout_ms;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
    if (n > 0) {
      out_.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return true;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return false;
    int64_t left = deadline - NowMs();
    if (left <= 0) return false;
    pollfd wait{stdout_fd_, POLLIN, 0};
    poll(&wait, 1, static_cast<int>(left));
  }
}

bool Process::WaitForErr(const std::function<bool(const std::string&)>& done,
                         int timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (!done(Err())) {
    if (NowMs() >= deadline) return false;
    SleepMs(10);
  }
  return true;
}

}  // namespace runnel::testing
