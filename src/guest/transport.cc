#include "guest/transport.h"

#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/protocol.h"
#include "guest/system.h"

namespace alfs::guest {

namespace {

// One connection per `vm exec` client on a listening socket.
class ListeningEndpoint : public ExecEndpoint {
 public:
  explicit ListeningEndpoint(UniqueFd listener) : listener_(std::move(listener)) {}
  UniqueFd next_client() override {
    for (;;) {
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) return UniqueFd(fd);
      if (errno != EINTR && errno != ECONNABORTED) throw SystemError("accept on the exec socket");
    }
  }

 private:
  UniqueFd listener_;
};

// The port is the connection of whichever client holds its host socket.
class PortEndpoint : public ExecEndpoint {
 public:
  explicit PortEndpoint(UniqueFd port) : port_(std::move(port)) {}
  UniqueFd next_client() override {
    UniqueFd copy(::fcntl(port_.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy) throw SystemError("dup of the exec port");
    return copy;
  }

 private:
  UniqueFd port_;
};

UniqueFd new_socket(const SocketAddress& address, int flags) {
  UniqueFd s(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0));
  if (!s) throw SystemError("socket for " + address.text);
  return s;
}

}  // namespace

SocketAddress vsock_address(uint32_t cid, uint32_t port) {
  SocketAddress a;
  auto* vm = reinterpret_cast<sockaddr_vm*>(&a.storage);
  vm->svm_family = AF_VSOCK;
  vm->svm_cid = cid;
  vm->svm_port = port;
  a.length = sizeof(sockaddr_vm);
  a.text = "vsock " + std::to_string(cid) + ":" + std::to_string(port);
  return a;
}

SocketAddress unix_address(const std::string& path) {
  SocketAddress a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
  if (path.size() >= sizeof un->sun_path) throw Error("unix socket path too long: " + path);
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.c_str(), path.size() + 1);
  a.length = sizeof(sockaddr_un);
  a.text = "unix " + path;
  return a;
}

UniqueFd SocketTransport::control(std::chrono::milliseconds timeout) {
  // The host side may not be there yet (libkrun connects to the host's socket only when
  // we connect; the vsock driver may still be probing): retry until the deadline.
  Deadline deadline(timeout);
  for (;;) {
    UniqueFd s = new_socket(control_, 0);
    if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&control_.storage), control_.length) == 0) {
      // Non-blocking like the virtio port: a stalled host cannot hang a write (protocol.h).
      ::fcntl(s.get(), F_SETFL, ::fcntl(s.get(), F_GETFL) | O_NONBLOCK);
      return s;
    }
    int error = errno;
    if (deadline.expired())
      throw Error("cannot connect the control channel to " + control_.text + " within " +
                  std::to_string(timeout.count()) + " ms: " + std::strerror(error));
    std::this_thread::sleep_for(retry_interval_);
  }
}

std::unique_ptr<ExecEndpoint> SocketTransport::exec(std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  for (;;) {
    UniqueFd s = new_socket(exec_, 0);
    if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&exec_.storage), exec_.length) == 0 &&
        ::listen(s.get(), 4) == 0)
      return std::make_unique<ListeningEndpoint>(std::move(s));
    int error = errno;
    if (deadline.expired())
      throw Error("cannot listen on " + exec_.text + " within " + std::to_string(timeout.count()) +
                  " ms: " + std::strerror(error));
    std::this_thread::sleep_for(retry_interval_);
  }
}

UniqueFd VirtioSerialTransport::control(std::chrono::milliseconds timeout) {
  return open_virtio_port(protocol::kPortName, timeout);
}

std::unique_ptr<ExecEndpoint> VirtioSerialTransport::exec(std::chrono::milliseconds timeout) {
  return std::make_unique<PortEndpoint>(open_virtio_port(protocol::kExecPortName, timeout));
}

std::unique_ptr<Transport> make_transport(ChannelTransport kind) {
  if (kind == ChannelTransport::kVsock)
    return std::make_unique<SocketTransport>(vsock_address(kHostCid, protocol::kControlVsockPort),
                                             vsock_address(VMADDR_CID_ANY, protocol::kExecVsockPort));
  return std::make_unique<VirtioSerialTransport>();
}

}  // namespace alfs::guest
