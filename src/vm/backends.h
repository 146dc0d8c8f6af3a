// Which VM backend runs the guest: `--backend` and the `[vm] backend` config key.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

// QEMU, libkrun (throws Error when libkrun does not load), or auto: the first that
// works, libkrun before QEMU on macOS, where it is the Rust tool's backend; on Linux QEMU
// only, the backend the end-to-end tests prove (libkrun has never booted our guest).
std::unique_ptr<VmBackend> make_backend(BackendKind kind);

}  // namespace alfs::vm
