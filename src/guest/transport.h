// How the agent reaches the host: the control channel and the `vm exec` endpoint, over
// QEMU's virtio-serial ports or over vsock (libkrun), chosen from the kernel command line
// (common/boot_params.h). The agent and the exec server see only this interface.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/boot_params.h"
#include "common/fd.h"

namespace alfs::guest {

// Where `vm exec` clients come from, one after another.
class ExecEndpoint {
 public:
  virtual ~ExecEndpoint() = default;
  // The next client's connection. A virtio-serial port is one connection for all clients
  // (its host socket takes one at a time), so that port returns a copy of itself.
  virtual UniqueFd next_client() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // The control channel, connected; throws Error naming what failed by the deadline.
  virtual UniqueFd control(std::chrono::milliseconds timeout) = 0;
  // The exec endpoint; throws Error when the host offers none within `timeout`.
  virtual std::unique_ptr<ExecEndpoint> exec(std::chrono::milliseconds timeout) = 0;
};

// A socket address of any family: AF_VSOCK in the guest, AF_UNIX in the tests.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // for messages: "vsock 2:1024", "unix /run/x.sock"
};

inline constexpr uint32_t kHostCid = 2;  // VMADDR_CID_HOST: the VMM

SocketAddress vsock_address(uint32_t cid, uint32_t port);
SocketAddress unix_address(const std::string& path);

// Connects to `control` (retrying while the other side is not there yet, every
// `retry_interval`, until the deadline) and listens on `exec`.
class SocketTransport : public Transport {
 public:
  SocketTransport(SocketAddress control, SocketAddress exec,
                  std::chrono::milliseconds retry_interval = std::chrono::milliseconds(50))
      : control_(std::move(control)), exec_(std::move(exec)), retry_interval_(retry_interval) {}
  UniqueFd control(std::chrono::milliseconds timeout) override;
  std::unique_ptr<ExecEndpoint> exec(std::chrono::milliseconds timeout) override;

 private:
  SocketAddress control_, exec_;
  std::chrono::milliseconds retry_interval_;
};

// QEMU: the ports protocol::kPortName and kExecPortName.
class VirtioSerialTransport : public Transport {
 public:
  UniqueFd control(std::chrono::milliseconds timeout) override;
  std::unique_ptr<ExecEndpoint> exec(std::chrono::milliseconds timeout) override;
};

// The transport the host asked for: vsock (protocol::kControlVsockPort on the host CID,
// protocol::kExecVsockPort here), or virtio-serial.
std::unique_ptr<Transport> make_transport(ChannelTransport kind);

}  // namespace alfs::guest
