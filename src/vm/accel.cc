#include "vm/accel.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/error.h"
#include "common/fd.h"
#include "vm/boot.h"

namespace alfs::vm {

namespace {
constexpr const char* kBoots = "kvm-boots";
constexpr const char* kFails = "kvm-fails";
}  // namespace

Accel accel_for(const VmBackend& backend, const std::string& verdict_file, const std::function<bool()>& probe) {
  if (auto fixed = backend.fixed_accel()) return *fixed;
  // No accelerator runs another architecture's code.
  if (read_host_facts().foreign_guest) return Accel::kTcg;
  return choose_accel(verdict_file, probe);
}

Accel choose_accel(const std::string& verdict_file, const std::function<bool()>& probe, HostOs os) {
  const char* forced = std::getenv("ALFS_ACCEL");
  std::string value = forced ? forced : "auto";
  bool macos = os == HostOs::kMacos;
  if (value == "tcg") return Accel::kTcg;
  if (value == (macos ? "hvf" : "kvm")) return macos ? Accel::kHvf : Accel::kKvm;
  if (value != "auto") throw Error("ALFS_ACCEL='" + value + "': expected " + (macos ? "hvf" : "kvm") + ", tcg or auto");
  if (macos) return Accel::kHvf;
  if (!UniqueFd(::open("/dev/kvm", O_RDWR | O_CLOEXEC))) return Accel::kTcg;
  if (!probe) return Accel::kTcg;  // nothing to probe with, and no guessing: KVM may not boot a guest
  std::ifstream cached(verdict_file);
  std::string verdict;
  cached >> verdict;
  if (verdict != kBoots && verdict != kFails) {
    verdict = probe() ? kBoots : kFails;
    try {
      write_file_atomic(verdict_file, verdict + "\n");
    } catch (const Error&) {
      // Not ours to write (a user reading root's image cache): probe again next time.
    }
  }
  return verdict == kBoots ? Accel::kKvm : Accel::kTcg;
}

bool guest_boots_under_kvm(VmBackend& backend, VmSpec spec, const std::string& scratch_dir) {
  spec.name = "anylinuxfs-kvm-probe";
  spec.accel = Accel::kKvm;
  spec.disks.clear();
  spec.forwards.clear();
  spec.control_socket = scratch_dir + "/kvm-probe.sock";
  UniqueFd console = open_file(scratch_dir + "/kvm-probe.console.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  spec.console_fd = console.get();
  std::string log_file = scratch_dir + "/kvm-probe.log";
  UniqueFd log = open_file(log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  try {
    BootTimeouts timeouts;
    timeouts.connect = std::chrono::seconds(10);
    timeouts.hello = std::chrono::seconds(20);
    BootedVm vm = BootedVm::boot(backend, spec, log.get(), log_file, timeouts);
    // Closing the channel before any request makes the agent power off at once.
    vm.process().terminate(std::chrono::seconds(10));
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace alfs::vm
