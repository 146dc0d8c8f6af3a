// libkrun backend: the VMM as a library (KVM on Linux, Hypervisor.framework on macOS),
// opened at run time so that the tool runs, with QEMU, where libkrun is not installed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "vm/gvproxy.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

class KrunBackend : public VmBackend {
 public:
  // Opens `library` (empty: default_library()) and resolves every function start() calls;
  // throws Error naming the library or the missing function.
  explicit KrunBackend(std::string library = "");
  std::string name() const override { return "krun"; }
  // Forks a child that configures a libkrun context and enters the VM (krun_start_enter
  // does not return): the child is the VM process.
  // With forwards, gvproxy starts first (vm/gvproxy.h) and lives as long as this object:
  // keep it for the VM's life.
  Process start(const VmSpec& spec, int log_fd) override;
  GuestNetwork guest_network() const override { return gvproxy_network(); }
  bool guest_connects_control() const override { return true; }
  std::optional<Accel> fixed_accel() const override { return accel(); }
  // gvproxy shows a network client as itself (before 0.8: as its gateway).
  std::string network_clients() const override { return "*"; }

  // $ALFS_LIBKRUN, else libkrun.so.1 (libkrun.dylib on macOS).
  static std::string default_library();
  // Always the hypervisor (libkrun emulates no CPU): KVM, or HVF on macOS.
  static Accel accel();
  // With the agent's transport (vsock) and network (gvproxy's): common/boot_params.h.
  static std::string kernel_command_line(const VmSpec& spec);
  // The KRUN_KERNEL_FORMAT_* of a kernel file, told by its magic numbers; throws Error for
  // a file it cannot read or a bzImage compressed in a way libkrun cannot unpack.
  static uint32_t kernel_format(const std::string& path);

 private:
  struct Api;
  std::shared_ptr<const Api> api_;
  std::optional<Gvproxy> gvproxy_;
};

}  // namespace alfs::vm
