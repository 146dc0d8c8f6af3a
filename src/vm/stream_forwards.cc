#include "vm/stream_forwards.h"

#include <sys/socket.h>
#include <unistd.h>

#include "common/deadline.h"
#include "common/error.h"
#include "common/rpc_guard.h"
#include "common/sockets.h"

namespace alfs::vm {

namespace {

std::vector<mux::Listener> listeners_for(const std::vector<PortForward>& forwards) {
  std::vector<mux::Listener> out;
  for (const auto& f : forwards)
    out.push_back({listen_tcp(f.host_address, f.host_port, /*nonblocking=*/true), static_cast<uint16_t>(f.guest_port)});
  return out;
}

void log_line(int fd, const std::string& text) {
  std::string line = "forwards: " + text + "\n";
  (void)!::write(fd, line.data(), line.size());
}

}  // namespace

// Every reply from the guest's nfsd and mountd is checked whole before its client (libnfs
// in our FUSE bridge) decodes it (common/rpc_guard.h).
StreamForwards::StreamForwards(const std::vector<PortForward>& forwards, Access access)
    : access_(std::move(access)),
      mux_(
          listeners_for(forwards), nullptr,
          {[](uint16_t) { return std::make_unique<rpc::ReplyGuard>(); },
           [this](const std::string& problem) { fail(log_fd_, "refused what the guest sent: " + problem); }},
          [this](int fd) { return admit(fd, access_, [this](const std::string& line) { log_line(log_fd_, line); }); }) {
}

StreamForwards::~StreamForwards() {
  stopping_ = true;
  mux_.stop();
  if (thread_.joinable()) thread_.join();
}

void StreamForwards::start(std::string link_socket, std::chrono::milliseconds timeout, int log_fd) {
  log_fd_ = log_fd;
  thread_ = std::thread([this, link_socket = std::move(link_socket), timeout, log_fd] {
    Deadline deadline(timeout);
    UniqueFd link;
    for (;;) {
      try {
        link = connect_unix(link_socket);
        break;
      } catch (const Error& e) {
        if (deadline.expired()) {
          fail(log_fd, e.what());
          return;
        }
      }
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    try {
      mux_.run(link.get());  // ends with QEMU, which the supervisor watches itself
    } catch (const std::exception& e) {
      fail(log_fd, e.what());
    }
  });
}

void StreamForwards::fail(int log_fd, const std::string& why) {
  log_line(log_fd, why);
  failed_.set();
}

}  // namespace alfs::vm
