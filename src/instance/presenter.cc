#include "instance/presenter.h"

#include "common/error.h"

namespace alfs {

PresentationKind choose_presentation(vm::HostOs os, std::string_view forced, bool root,
                                     const std::function<bool()>& kernel_has_nfs_client) {
  std::string choice = forced.empty() ? "auto" : std::string(forced);
  if (choice != "auto" && choice != "fuse" && choice != "kernel")
    throw Error("ALFS_PRESENTATION is '" + choice + "': it takes auto, fuse or kernel");
  if (os == vm::HostOs::kMacos) {
    // No FUSE is assumed on a Mac (macFUSE is a kernel extension of its own).
    if (choice == "fuse") throw Error("ALFS_PRESENTATION=fuse: on macOS the export is presented by mount_nfs only");
    return PresentationKind::kMacosNfs;
  }
  if (choice == "fuse") return PresentationKind::kFuse;
  if (choice == "kernel") return PresentationKind::kKernelNfs;
  return root && kernel_has_nfs_client() ? PresentationKind::kKernelNfs : PresentationKind::kFuse;
}

}  // namespace alfs
