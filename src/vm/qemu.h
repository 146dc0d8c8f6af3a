// QEMU backend: virtio-mmio devices on -M microvm (x86_64: TCG or KVM) or -M virt
// (arm64: TCG, KVM, or HVF on macOS).
#pragma once

#include <optional>
#include <string_view>

#include "vm/stream_forwards.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

enum class HostArch { kX86_64, kArm64 };
enum class HostOs { kLinux, kMacos };

struct HostFacts {
  long cpu_khz = 0;                   // for tsc_early_khz under TCG; 0: unknown
  HostArch arch = HostArch::kX86_64;  // the guest's: the machine's unless foreign_guest
  HostOs os = HostOs::kLinux;
  bool foreign_guest = false;  // $ALFS_GUEST_ARCH names another (common/guest_arch.h): TCG only
};
// uname(2) and /proc/cpuinfo (absent on macOS: cpu_khz 0), with the guest's architecture
// from $ALFS_GUEST_ARCH. Throws Error on a host the guest image does not exist for.
HostFacts read_host_facts();
// The OS and architecture of uname's sysname and machine ("Darwin", "arm64").
HostFacts host_facts_from_uname(std::string_view sysname, std::string_view machine);

// The QEMU that boots this host's guest ("qemu-system-x86_64", "qemu-system-aarch64").
std::string qemu_binary(const HostFacts& host);

// The machine, accelerator and CPU every guest of ours runs on: -M, -accel, -cpu.
// packaged_kernel: the kernel as Debian's package has it (the image build's VM), not the
// image's own.
std::vector<std::string> machine_arguments(const HostFacts& host, Accel accel, bool packaged_kernel = false);
// QEMU's seccomp filter (Linux): what a guest that took QEMU over could do is limited.
std::vector<std::string> sandbox_arguments(const HostFacts& host);
// The guest's name of that machine's serial port ("ttyS0").
std::string serial_console(const HostFacts& host);
// The kernel parameters that machine needs (how it reboots, the clock), each after a space.
std::string machine_kernel_parameters(const HostFacts& host, Accel accel);

class QemuBackend : public VmBackend {
 public:
  std::string name() const override { return "qemu"; }
  // With forwards, the host's listeners (vm/stream_forwards.h) live as long as this
  // object: keep it for the VM's life.
  Process start(const VmSpec& spec, int log_fd) override;
  GuestNetwork guest_network() const override { return relay_network(); }
  int failure_fd() const override { return forwards_ ? forwards_->failure_fd() : -1; }
  bool enforces_access() const override { return true; }
  bool snapshots() const override { return true; }
  std::string network_clients() const override;
  std::string describe(const VmSpec& spec) const override;

  // The full command line (no shell involved).
  static std::vector<std::string> command_line(const VmSpec& spec, const HostFacts& host);
  static std::string kernel_command_line(const VmSpec& spec, const HostFacts& host);
  // Where QEMU listens for the forwards' stream link: beside the control socket.
  static std::string link_socket(const VmSpec& spec);

 private:
  std::optional<StreamForwards> forwards_;
};

}  // namespace alfs::vm
