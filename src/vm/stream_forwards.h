// QEMU's forwards: the host listens on each forward's address and port itself and carries
// each connection over the virtio-serial port protocol::kNetPortName to the agent, which
// connects it to the guest port on its loopback (common/stream_mux.h). The guest has no
// network device at all then, and NFS data does not pass through an emulated TCP stack.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/os.h"
#include "common/stream_mux.h"
#include "vm/admission.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

class StreamForwards {
 public:
  // Binds every forward's listener now; throws Error naming the address and port. Each
  // client is admitted by `access` (vm/admission.h) before anything of it reaches the guest.
  StreamForwards(const std::vector<PortForward>& forwards, Access access);
  // Stops carrying and closes the listeners.
  ~StreamForwards();
  StreamForwards(const StreamForwards&) = delete;
  StreamForwards& operator=(const StreamForwards&) = delete;

  // In a thread of its own: connects to `link_socket` (QEMU listens there once it has
  // started: retried until `timeout`) and carries the connections until QEMU closes it.
  // What goes wrong is written to `log_fd`.
  void start(std::string link_socket, std::chrono::milliseconds timeout, int log_fd);
  // Readable once the carrying failed: QEMU's socket never came, or the guest wrote a
  // malformed frame or NFS reply (a hostile guest, perhaps).
  // The supervisor then ends the instance rather than leave its mount hanging.
  int failure_fd() const { return failed_.fd(); }

 private:
  void fail(int log_fd, const std::string& why);
  int log_fd_ = -1;
  Access access_;
  mux::StreamMux mux_;
  PollEvent failed_;
  std::atomic<bool> stopping_ = false;  // ends the wait for QEMU's socket
  std::thread thread_;
};

}  // namespace alfs::vm
