// Host presentation on Linux without a kernel NFS client: a FUSE filesystem whose
// operations are served by a userspace NFSv3 client (libnfs) talking to the guest.
#pragma once

#include <sys/stat.h>
#include <sys/time.h>

#include <array>
#include <memory>
#include <string>

#include "nfs/presentation.h"

// libnfs types, declared here so that users of the bridge need not include libnfs.
struct nfs_stat_64;

namespace alfs::nfs {

// nfs://host/export?nfsport=..&mountport=..&version=3 (libnfs URL, no portmapper needed)
std::string nfs_url(const NfsTarget& target);

struct FuseOptions {
  std::string mount_point;
  std::string fsname;  // shown in /proc/mounts, e.g. "anylinuxfs:disk.img"
  bool read_only = false;
  bool allow_other = false;        // when root mounts for everyone
  bool kernel_permissions = true;  // default_permissions; off for --ignore-permissions (the server decides)
};

class NfsFuseBridge : public Presentation {
 public:
  // Connects (MOUNT + NFSv3) and mounts the FUSE filesystem. Throws alfs::Error naming
  // what failed (libnfs's own error text, or the FUSE mount error).
  static std::unique_ptr<NfsFuseBridge> mount(const NfsTarget& target, const FuseOptions& options);
  virtual ~NfsFuseBridge() = default;

  // Serves requests until the mount point is unmounted (returns 0) or request_exit()
  // was called (returns 0, the mount detached); -errno if /dev/fuse failed.
  // Single-threaded: libnfs contexts are not thread-safe.
  virtual int run() = 0;
  // Thread- and signal-safe: makes run() return soon (the mount is detached lazily).
  virtual void request_exit() = 0;
};

// Helpers of the bridge, public for unit tests.

// libnfs failure result -> negative errno for FUSE. libnfs reports a broken RPC
// connection as -EFAULT and a timed-out call as -EINTR; neither is what the caller did.
int fuse_error(int nfs_result);

// "fsname=..,subtype=anylinuxfs,default_permissions[,allow_other][,ro]" for fuse_new.
std::string fuse_mount_options(const FuseOptions& options);

struct stat to_stat(const nfs_stat_64& st);

// utimensat(2) times -> the two explicit times NFS SETATTR takes: UTIME_OMIT keeps
// `current`, UTIME_NOW takes `now`.
std::array<timeval, 2> resolve_times(const timespec requested[2], const timespec current[2], const timespec& now);

}  // namespace alfs::nfs
