#include "guest/shell.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"

namespace alfs::guest {

namespace {

void send_output(protocol::LineChannel& channel, const char* stream, std::string_view data) {
  channel.send({{"type", "output"}, {"stream", stream}, {"data_hex", protocol::hex_encode(data)}});
}

// The environment of a login shell on the guest; `term` from the host's $TERM.
[[noreturn]] void exec_login_shell(const std::string& term) {
  std::string term_env = "TERM=" + (term.empty() ? std::string("linux") : term);
  char* const argv[] = {const_cast<char*>("/bin/bash"), const_cast<char*>("--login"), nullptr};
  char* const envp[] = {const_cast<char*>(term_env.c_str()), const_cast<char*>("HOME=/root"),
                        const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                        const_cast<char*>("PS1=anylinuxfs:\\w# "), nullptr};
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

// In a forked child: a new session with `tty` as its controlling terminal and stdio.
void take_terminal(int tty) {
  ::setsid();
  ::ioctl(tty, TIOCSCTTY, 0);
  ::dup2(tty, 0);
  ::dup2(tty, 1);
  ::dup2(tty, 2);
  if (tty > 2) ::close(tty);
}

}  // namespace

int run_streamed(const std::vector<std::string>& argv, protocol::LineChannel& channel) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  SpawnOptions opts;
  opts.argv = argv;
  opts.stdout_fd = out.write.get();
  opts.stderr_fd = err.write.get();
  Process child;
  try {
    child = spawn(opts);
  } catch (const SystemError& e) {
    send_output(channel, "stderr", std::string(e.what()) + "\n");
    return 127;
  }
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
      throw SystemError("poll on the command's output");
    }
    for (int i = 0; i < 2; ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[16384];
      ssize_t n = ::read(streams[i].fd.get(), buf, sizeof buf);
      if (n > 0) {
        send_output(channel, streams[i].name, std::string_view(buf, static_cast<size_t>(n)));
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
    int tty = ::open("/dev/hvc0", O_RDWR);
    if (tty < 0) ::_exit(127);
    take_terminal(tty);
    exec_login_shell(term);
  }
  // As long as the user works in it: the one wait here without a deadline.
  return Process(pid).wait().code();
}

int run_pty_shell(protocol::LineChannel& channel, const std::string& term, int rows, int cols) {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0)
    throw SystemError("cannot allocate a pseudo-terminal");
  winsize size{};
  size.ws_row = static_cast<unsigned short>(rows > 0 ? rows : 24);
  size.ws_col = static_cast<unsigned short>(cols > 0 ? cols : 80);
  ::ioctl(master.get(), TIOCSWINSZ, &size);
  std::string slave_path = ::ptsname(master.get());
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) {
    int tty = ::open(slave_path.c_str(), O_RDWR);
    if (tty < 0) ::_exit(127);
    take_terminal(tty);
    exec_login_shell(term);
  }
  Process shell(pid);
  for (bool host_here = true; host_here;) {
    // Every complete message first: the channel may hold some in its buffer already.
    for (;;) {
      auto r = channel.receive(Deadline(std::chrono::milliseconds(0)));
      if (r.status == protocol::LineChannel::Status::kTimeout) break;
      if (r.status == protocol::LineChannel::Status::kClosed) {
        host_here = false;  // the host went away: hang up
        break;
      }
      std::string type = protocol::message_type(r.message);
      if (type == "input") {
        write_all(master.get(), protocol::hex_decode(r.message.value("data_hex", std::string())));
      } else if (type == "resize") {
        size.ws_row = static_cast<unsigned short>(r.message.value("rows", 24));
        size.ws_col = static_cast<unsigned short>(r.message.value("cols", 80));
        ::ioctl(master.get(), TIOCSWINSZ, &size);
      }
    }
    if (!host_here) break;
    pollfd pfds[2] = {{master.get(), POLLIN, 0}, {channel.fd(), POLLIN, 0}};
    if (::poll(pfds, 2, 1000) < 0 && errno != EINTR) throw SystemError("poll on the pseudo-terminal");
    if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[16384];
      ssize_t n = ::read(master.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: the shell and everything on its terminal are gone
      send_output(channel, "stdout", std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  master.reset();  // a hangup for the shell, if it still runs
  auto status = shell.wait_for(std::chrono::seconds(5));
  if (!status) status = shell.terminate(std::chrono::seconds(2));
  return status->code();
}

}  // namespace alfs::guest
