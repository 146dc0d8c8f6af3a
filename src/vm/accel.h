// Which accelerator to run the guest with.
#pragma once

#include <string>

#include "vm/vm_backend.h"

namespace alfs::vm {

// $ALFS_ACCEL: "kvm" or "tcg" forces one ("auto" or unset: decide). Auto uses KVM
// only when /dev/kvm opens read-write and a boot probe recorded in `probe_file`
// showed a guest booting under it: on nested hosts /dev/kvm can exist yet fail to
// run the Debian kernel, and TCG is the safe default there. Throws Error on a bad value.
Accel choose_accel(const std::string& probe_file);

}  // namespace alfs::vm
