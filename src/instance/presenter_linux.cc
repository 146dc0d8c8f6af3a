#include <unistd.h>

#include <cstdlib>

#include "common/fd.h"
#include "host/mount_point.h"
#include "host/user_files.h"
#include "instance/presenter.h"
#include "nfs/kernel_nfs_mount.h"
#include "nfs/macos_nfs_mount.h"
#include "nfs/nfs_fuse_bridge.h"

namespace alfs {

PresentationKind chosen_presentation(bool root) {
  const char* forced = std::getenv("ALFS_PRESENTATION");
  return choose_presentation(vm::read_host_facts().os, forced ? forced : "", root,
                             [] { return nfs::kernel_has_nfs_client(read_file("/proc/filesystems")); });
}

std::unique_ptr<nfs::Presentation> present_on_host(const nfs::NfsTarget& target, const PresentationOptions& options,
                                                   const LogFn& log) {
  // Where root presents the mount for a sudo user (kernel NFS, or no /dev/fuse for
  // them), mounting is root's own work: /dev/fuse, the mount point under /mnt.
  AsRoot root;
  PresentationKind kind = chosen_presentation(::geteuid() == 0);
  const std::string& mp = options.mount_point;
  if (kind == PresentationKind::kMacosNfs) {
    log("presenting through mount_nfs");
    return nfs::MacosNfsMount::mount(target, mp, options.read_only);
  }
  if (kind == PresentationKind::kKernelNfs) {
    log("presenting through the kernel NFS client");
    return nfs::KernelNfsMount::mount(target, mp, options.read_only, [mp] { return is_mount_point(mp); });
  }
  nfs::FuseOptions fuse;
  fuse.mount_point = mp;
  fuse.fsname = options.fsname;
  fuse.read_only = options.read_only;
  fuse.allow_other = options.allow_other;
  fuse.kernel_permissions = options.kernel_permissions;
  return nfs::NfsFuseBridge::mount(target, fuse);
}

}  // namespace alfs
