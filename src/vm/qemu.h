// QEMU backend: -M microvm, virtio-mmio devices, TCG or KVM.
#pragma once

#include "vm/vm_backend.h"

namespace alfs::vm {

struct HostFacts {
  long cpu_khz = 0;  // for tsc_early_khz under TCG; 0: unknown
};
HostFacts read_host_facts();

class QemuBackend : public VmBackend {
 public:
  std::string name() const override { return "qemu"; }
  Process start(const VmSpec& spec, int log_fd) override;

  // The full command line (no shell involved).
  static std::vector<std::string> command_line(const VmSpec& spec, const HostFacts& host);
  static std::string kernel_command_line(const VmSpec& spec, const HostFacts& host);
};

}  // namespace alfs::vm
