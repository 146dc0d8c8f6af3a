#include "vm/stream_forwards.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/deadline.h"
#include "common/error.h"
#include "common/tcp.h"

namespace alfs::vm {

namespace {

std::vector<mux::Listener> listeners_for(const std::vector<PortForward>& forwards) {
  std::vector<mux::Listener> out;
  for (const auto& f : forwards)
    out.push_back({listen_tcp(f.host_address, f.host_port, SOCK_NONBLOCK), static_cast<uint16_t>(f.guest_port)});
  return out;
}

void log_line(int fd, const std::string& text) {
  std::string line = "forwards: " + text + "\n";
  (void)!::write(fd, line.data(), line.size());
}

}  // namespace

StreamForwards::StreamForwards(const std::vector<PortForward>& forwards) : mux_(listeners_for(forwards), nullptr) {}

StreamForwards::~StreamForwards() {
  stopping_ = true;
  mux_.stop();
  if (thread_.joinable()) thread_.join();
}

void StreamForwards::start(std::string link_socket, std::chrono::milliseconds timeout, int log_fd) {
  thread_ = std::thread([this, link_socket = std::move(link_socket), timeout, log_fd] {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (link_socket.size() >= sizeof addr.sun_path) {
      log_line(log_fd, "socket path too long: " + link_socket);
      return;
    }
    std::memcpy(addr.sun_path, link_socket.c_str(), link_socket.size() + 1);
    Deadline deadline(timeout);
    UniqueFd link;
    for (;;) {
      link = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (link && ::connect(link.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
      int error = errno;
      if (deadline.expired()) {
        log_line(log_fd, "cannot connect to " + link_socket + ": " + std::strerror(error));
        return;
      }
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    try {
      mux_.run(link.get());
    } catch (const std::exception& e) {
      log_line(log_fd, e.what());
    }
  });
}

}  // namespace alfs::vm
