#include "vm/backends.h"

#include "common/error.h"
#include "vm/krun.h"
#include "vm/qemu.h"

namespace alfs::vm {

std::unique_ptr<VmBackend> make_backend(BackendKind kind) {
  if (kind == BackendKind::kQemu) return std::make_unique<QemuBackend>();
  if (kind == BackendKind::kKrun) return std::make_unique<KrunBackend>();
#ifdef __APPLE__
  try {
    return std::make_unique<KrunBackend>();
  } catch (const Error&) {
    // Not installed: QEMU it is.
  }
#endif
  return std::make_unique<QemuBackend>();
}

}  // namespace alfs::vm
