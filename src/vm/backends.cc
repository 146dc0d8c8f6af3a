#include "vm/backends.h"

#include "common/error.h"
#include "vm/krun.h"
#include "vm/qemu.h"

namespace alfs::vm {

std::unique_ptr<VmBackend> make_backend(const std::string& name) {
  if (name == "qemu") return std::make_unique<QemuBackend>();
  if (name == "krun") return std::make_unique<KrunBackend>();
  if (name != "auto") throw Error("unknown VM backend '" + name + "' (known: auto, qemu, krun)");
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
