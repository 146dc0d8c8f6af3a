#include "guest/shell.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"

namespace alfs::guest {

int run_shell_command(const std::string& command, protocol::LineChannel& channel) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  SpawnOptions opts;
  opts.argv = {"/bin/sh", "-c", command};
  opts.stdout_fd = out.write.get();
  opts.stderr_fd = err.write.get();
  Process child = spawn(opts);
  out.write.reset();
  err.write.reset();

  struct Stream {
    UniqueFd& fd;
    const char* name;
  } streams[] = {{out.read, "stdout"}, {err.read, "stderr"}};
  int open_streams = 2;
  while (open_streams > 0) {
    pollfd pfds[2] = {{streams[0].fd.get(), POLLIN, 0}, {streams[1].fd.get(), POLLIN, 0}};
    if (::poll(pfds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw SystemError("poll on the shell command's output");
    }
    for (int i = 0; i < 2; ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[16384];
      ssize_t n = ::read(streams[i].fd.get(), buf, sizeof buf);
      if (n > 0) {
        channel.send({{"type", "output"}, {"stream", streams[i].name}, {"data", std::string(buf, n)}});
      } else if (n == 0 || errno != EINTR) {
        streams[i].fd.reset();  // poll ignores a negative fd from now on
        --open_streams;
      }
    }
  }
  // Both streams closed: the command is exiting (or detached itself from them).
  auto status = child.wait_for(std::chrono::seconds(30));
  if (!status) status = child.terminate(std::chrono::seconds(5));
  return status->code();
}

int run_interactive_shell(const std::string& term) {
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) {
    ::setsid();
    int tty = ::open("/dev/hvc0", O_RDWR);
    if (tty < 0) ::_exit(127);
    ::ioctl(tty, TIOCSCTTY, 0);
    ::dup2(tty, 0);
    ::dup2(tty, 1);
    ::dup2(tty, 2);
    if (tty > 2) ::close(tty);
    std::string term_env = "TERM=" + (term.empty() ? std::string("linux") : term);
    char* const argv[] = {const_cast<char*>("/bin/bash"), const_cast<char*>("--login"), nullptr};
    char* const envp[] = {const_cast<char*>(term_env.c_str()), const_cast<char*>("HOME=/root"),
                          const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                          const_cast<char*>("PS1=anylinuxfs:\\w# "), nullptr};
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }
  // As long as the user works in it: the one wait here without a deadline.
  return Process(pid).wait().code();
}

}  // namespace alfs::guest
