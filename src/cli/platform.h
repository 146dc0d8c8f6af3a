// Which host pieces serve the OS the tool runs on: how the export is presented, where
// the default mount point goes, where `list` finds the disks. Pure functions of their inputs, so both OSes' choices are
// tested on Linux.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "host/disk_list.h"
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

// Linux /mnt/<name> as root, ~/mnt/<name> otherwise; macOS /Volumes, ~/Volumes; "-1",
// "-2", ... when `is_taken`. Throws Error when a non-root user has no usable home.
std::string default_mount_point(vm::HostOs os, bool is_root, const std::string& home, const std::string& name,
                                const std::function<bool(const std::string&)>& is_taken);

// The disks `list` shows without arguments: sysfs and libblkid on Linux; `diskutil` on
// macOS (host/diskutil.h), its raw devices probed with libblkid.
std::vector<ListedDisk> host_disks(vm::HostOs os);

}  // namespace alfs
