// `vm exec [-t <mp>] <cmd...>` and `vm attach [-t <mp>]`: a command or a login shell in
// a running instance's guest, through the exec port its QEMU listens on.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "cli/commands.h"
#include "cli/guest_command.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"
#include "config/paths.h"
#include "instance/record.h"

namespace alfs::cli {

using protocol::LineChannel;

namespace {

UniqueFd connect_exec_port(const InstanceRecord& instance, const InstanceRegistry& registry) {
  std::string path = registry.dir_of(instance.id) + "/exec.sock";
  UniqueFd fd = open_socket(AF_UNIX, SOCK_STREAM, 0);
  if (!fd) throw SystemError("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error("exec socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw SystemError("cannot reach the guest of " + instance.mount_point + " (" + path + ")");
  return fd;
}

InstanceRecord running_instance(const InstanceRegistry& registry, const std::string& target) {
  InstanceRecord instance = registry.choose(target);
  if (instance.state != InstanceState::kReady)
    throw Error(instance.mount_point + " is " + to_string(instance.state) + ", not ready");
  return instance;
}

// The terminal in raw mode for as long as a remote shell owns it.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::pair<int, int> terminal_size() {
  winsize w{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) != 0 || w.ws_row == 0) return {24, 80};
  return {w.ws_row, w.ws_col};
}

}  // namespace

int vm_exec_command(const std::string& target, const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("vm exec: no command given");
  InstanceRegistry registry(resolve_paths());
  InstanceRecord instance = running_instance(registry, target);
  UniqueFd fd = connect_exec_port(instance, registry);
  LineChannel channel(fd.get());
  channel.send({{"type", "exec"}, {"argv", argv}});
  return relay_until_exit(channel, "the guest of " + instance.mount_point + " went away before the command finished");
}

int vm_attach_command(const std::string& target) {
  InstanceRegistry registry(resolve_paths());
  InstanceRecord instance = running_instance(registry, target);
  UniqueFd fd = connect_exec_port(instance, registry);
  LineChannel channel(fd.get());
  const char* term = std::getenv("TERM");
  auto size = terminal_size();
  channel.send({{"type", "attach"}, {"term", term ? term : ""}, {"rows", size.first}, {"cols", size.second}});
  std::string lost = "the guest of " + instance.mount_point + " went away";

  bool tty = ::isatty(STDIN_FILENO);
  std::optional<RawTerminal> raw;
  if (tty) raw.emplace();
  bool input_open = true;
  for (;;) {
    for (;;) {
      auto r = protocol::receive_reply(channel, Deadline(std::chrono::milliseconds(0)));
      if (r.status == LineChannel::Status::kTimeout) break;
      if (r.status == LineChannel::Status::kClosed) throw Error(lost);
      if (auto code = handle_command_message(r.reply)) return *code;
    }
    pollfd pfds[2] = {{channel.fd(), POLLIN, 0}, {input_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(pfds, 2, 250) < 0 && errno != EINTR) throw SystemError("poll");
    if (pfds[1].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        channel.send({{"type", "input"}, {"data_hex", protocol::hex_encode(std::string_view(buf, n))}});
      } else if (n == 0 || errno != EINTR) {
        // Our input ended (a pipe): the remote shell sees end-of-file too.
        input_open = false;
        channel.send({{"type", "input"}, {"data_hex", protocol::hex_encode("\x04")}});
      }
    }
    if (tty) {
      auto now = terminal_size();
      if (now != size) {
        size = now;
        channel.send({{"type", "resize"}, {"rows", size.first}, {"cols", size.second}});
      }
    }
  }
}

}  // namespace alfs::cli
