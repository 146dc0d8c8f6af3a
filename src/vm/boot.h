// Booting a guest up to the agent's "hello": shared by the instance supervisor and
// the KVM probe.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/fd.h"
#include "common/process.h"
#include "common/protocol.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

struct BootTimeouts {
  std::chrono::seconds connect{30};  // QEMU connects to the control socket at start (over vsock: + hello)
  std::chrono::seconds hello{120};   // kernel + stage 1 + agent (3-8 s under TCG)
};

class BootedVm {
 public:
  // Listens on spec.control_socket, starts the VM with its diagnostics going to
  // `log_fd` (the file `log_file`), and waits for the agent's hello. Throws Error:
  // with QEMU's own complaint when it exits, or naming the deadline that passed.
  // `on_started` runs once the VM process exists (e.g. to record its pid); `wake`, once
  // its control channel is connected: a restored guest (instance/guest_template.h) says
  // "hello" only when told to.
  static BootedVm boot(VmBackend& backend, const VmSpec& spec, int log_fd, const std::string& log_file,
                       const BootTimeouts& timeouts, const std::function<void(pid_t)>& on_started = {},
                       const std::function<void(BootedVm&)>& wake = {});

  Process& process() { return process_; }
  protocol::LineChannel& channel() { return *channel_; }
  int control_fd() const { return control_.get(); }
  const std::string& kernel() const { return kernel_; }
  // Throws the "VM exited" error if the VM is gone.
  void check_alive();
  // Waits for the agent's next "hello" (after "prepare" or "restore"); throws Error.
  void await_hello(std::chrono::seconds timeout);
  // Ends the control channel both ways without closing the fd (another thread may poll
  // it): the agent then shuts down as if told "stop".
  void hang_up();

 private:
  BootedVm() = default;
  Process process_;
  UniqueFd control_;
  std::optional<protocol::LineChannel> channel_;
  std::string kernel_;
  std::string log_file_;
};

// The lines the VM process wrote about itself, QEMU's ("qemu-system-x86_64: ...") or
// the libkrun backend's ("libkrun: ..."), joined with "; ".
std::string qemu_complaint(const std::string& log_text);

// A listening unix socket at `path` (what was there is replaced); throws Error.
UniqueFd listen_unix(const std::string& path);

}  // namespace alfs::vm
