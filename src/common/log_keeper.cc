#include "common/log_keeper.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "common/error.h"
#include "common/os.h"

namespace alfs {

namespace {

// Only system calls from here: the writer may have threads, and the child is a copy of
// one of them.
[[noreturn]] void keep(int pipe_fd, int file_fd, uint64_t cap, const std::string& notice) {
  // fds 0 and 1 become the pipe and the file (through copies above 2, which the dup2s
  // cannot clobber), and nothing else stays open: a leaked copy of a FUSE or socket fd
  // would keep what it belongs to alive.
  int pipe_copy = ::fcntl(pipe_fd, F_DUPFD, 3);
  int file_copy = ::fcntl(file_fd, F_DUPFD, 3);
  if (pipe_copy < 0 || file_copy < 0 || ::dup2(pipe_copy, 0) < 0 || ::dup2(file_copy, 1) < 0) ::_exit(1);
  close_fds_from(2);
  // A Ctrl-C at `shell` must not cut the console's last lines off.
  for (int s : {SIGINT, SIGQUIT, SIGHUP}) ::signal(s, SIG_IGN);
  char buf[65536];
  uint64_t written = 0;
  bool capped = false;
  auto write_out = [](const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(1, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;  // a full disk: the rest is dropped as past the cap
      p += w;
      n -= static_cast<size_t>(w);
    }
  };
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(0);
    if (capped) continue;
    size_t take = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n), cap - written));
    write_out(buf, take);
    written += take;
    if (take < static_cast<size_t>(n)) {
      write_out(notice.data(), notice.size());
      capped = true;
    }
  }
}

}  // namespace

LogKeeper::LogKeeper(UniqueFd file, uint64_t cap_mib, const std::function<void()>& forget) {
  Pipe pipe = make_pipe();
  std::string notice = "\n[log capped at " + std::to_string(cap_mib) + " MiB: the rest of this run was dropped]\n";
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork of the log keeper");
  if (pid == 0) {
    if (forget) forget();
    keep(pipe.read.get(), file.get(), cap_mib << 20, notice);
  }
  keeper_ = Process(pid);
  write_ = std::move(pipe.write);
}

LogKeeper::~LogKeeper() {
  write_.reset();
  if (keeper_.running() && !keeper_.wait_for(std::chrono::seconds(5))) keeper_.terminate(std::chrono::seconds(0));
}

void LogKeeper::detach() {
  write_.reset();
  keeper_.release();
}

}  // namespace alfs
