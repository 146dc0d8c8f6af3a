// A fake VM backend for tests: runs a python3 script in place of QEMU, with the control
// socket's path as its argument, to play the guest's side of the control channel.
#pragma once

#include <string>

#include "common/process.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

class FakeScriptBackend : public VmBackend {
 public:
  explicit FakeScriptBackend(std::string script) : script_(std::move(script)) {}
  std::string name() const override { return "fake"; }
  GuestNetwork guest_network() const override { return relay_network(); }
  std::string network_clients() const override { return "127.0.0.2"; }
  Process start(const VmSpec& spec, int log_fd) override {
    return spawn(SpawnOptions{
        .argv = {"python3", "-c", script_, spec.control_socket}, .stdout_fd = log_fd, .stderr_fd = log_fd});
  }

 private:
  std::string script_;
};

}  // namespace alfs::vm
