// How an instance presents the guest's export at its mount point: which presentation
// this host uses, and the factory the supervisor asks for it (a parameter of the
// supervisor, so its tests present with a fake).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "instance/guest_session.h"
#include "nfs/presentation.h"
#include "vm/qemu.h"

namespace alfs {

enum class PresentationKind {
  kFuse,       // Linux: FUSE over libnfs (nfs/nfs_fuse_bridge.h)
  kKernelNfs,  // Linux: the kernel's NFS client (nfs/kernel_nfs_mount.h)
  kMacosNfs,   // macOS: mount_nfs (nfs/macos_nfs_mount.h)
};

// `forced` is ALFS_PRESENTATION ("", "auto", "fuse", "kernel"). Linux, auto: the kernel
// client when we are root and the kernel has one (`kernel_has_nfs_client` is asked only
// then), else FUSE. macOS: mount_nfs, its only presentation. Throws Error for another
// value, or for one macOS does not have.
PresentationKind choose_presentation(vm::HostOs os, std::string_view forced, bool root,
                                     const std::function<bool()>& kernel_has_nfs_client);

// choose_presentation asked of this OS, ALFS_PRESENTATION and /proc/filesystems.
PresentationKind chosen_presentation(bool root);

struct PresentationOptions {
  std::string mount_point;
  std::string fsname;  // FUSE: what the mount table shows as the source
  bool read_only = false;
  bool allow_other = false;        // FUSE: other users may use the mount (root's)
  bool kernel_permissions = true;  // FUSE: the kernel checks modes (not with --ignore-permissions)
};

// Mounts the export at options.mount_point; the presentation's run() then serves it.
// Throws Error.
using PresentationFactory = std::function<std::unique_ptr<nfs::Presentation>(
    const nfs::NfsTarget& target, const PresentationOptions& options, const LogFn& log)>;

// This host's: mount_nfs on macOS; on Linux the kernel NFS client where the host has one
// and we are root, FUSE otherwise (done as root where root presents for a sudo user).
std::unique_ptr<nfs::Presentation> present_on_host(const nfs::NfsTarget& target, const PresentationOptions& options,
                                                   const LogFn& log);

}  // namespace alfs
