#include "cli/platform.h"

#include "common/error.h"
#include "common/process.h"
#include "host/diskutil.h"
#include "host/mount_point.h"
#include "host/probe.h"
#include "nfs/macos_nfs_mount.h"

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

std::string default_mount_point(vm::HostOs os, bool is_root, const std::string& home, const std::string& name,
                                const std::function<bool(const std::string&)>& is_taken) {
  if (os == vm::HostOs::kMacos) return nfs::macos_default_mount_point(is_root, home, name, is_taken);
  return choose_mount_point(default_mount_base(is_root, home), name, is_taken);
}

std::vector<ListedDisk> host_disks(vm::HostOs os) {
  if (os != vm::HostOs::kMacos) return list_host_disks();
  auto run = [](const std::vector<std::string>& argv) { return run_command(argv, std::chrono::seconds(30)); };
  return macos_host_disks(run, probe_path);
}

}  // namespace alfs
