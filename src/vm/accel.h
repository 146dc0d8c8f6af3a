// Which accelerator to run the guest with.
#pragma once

#include <functional>
#include <string>

#include "vm/qemu.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

// $ALFS_ACCEL "kvm" (Linux), "hvf" (macOS) or "tcg" forces one; "auto" (or unset)
// decides. macOS: HVF (Hypervisor.framework is part of every Mac the guest runs on).
// Linux: KVM when /dev/kvm opens read-write and a boot probe showed the guest booting
// under it. On nested hosts /dev/kvm can exist yet fail to run the Debian kernel, so
// the probe is a real boot. It runs once (`probe()`), and its verdict is cached in
// `verdict_file` when that is writable. Without a probe (an empty function) an untested
// /dev/kvm means TCG. Throws Error on a bad $ALFS_ACCEL.
Accel choose_accel(const std::string& verdict_file, const std::function<bool()>& probe,
                   HostOs os = read_host_facts().os);

// The backend's fixed accelerator, else TCG for a foreign guest ($ALFS_GUEST_ARCH), else
// choose_accel's.
Accel accel_for(const VmBackend& backend, const std::string& verdict_file, const std::function<bool()>& probe);

// Boots the guest of `spec` (its kernel, initrd and root; no disks, no network)
// under KVM, in `scratch_dir`; true when the agent said hello within 20 s.
bool guest_boots_under_kvm(VmBackend& backend, VmSpec spec, const std::string& scratch_dir);

}  // namespace alfs::vm
