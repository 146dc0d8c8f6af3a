// How the guest's export appears at the host's mount point: a FUSE filesystem over
// libnfs, or the kernel's own NFS client where the host has one.
#pragma once

#include <string>

namespace alfs::nfs {

struct NfsTarget {
  std::string host = "127.0.0.1";
  int nfs_port = 0;            // host port forwarded to the guest's nfsd (2049)
  int mount_port = 0;          // host port forwarded to the guest's rpc.mountd
  std::string export_path;     // e.g. "/mnt/disk"
  int timeout_ms = 30000;      // every NFS call gives up after this (a dead guest never hangs us)
  std::string client_options;  // mount -n: more options for the host's NFS client (nfs/nfs_options.h)
};

class Presentation {
 public:
  virtual ~Presentation() = default;
  // Blocks until the mount point is unmounted (returns 0) or request_exit() was
  // called (returns 0, the mount detached); negative errno on failure.
  virtual int run() = 0;
  // Thread- and signal-safe: makes run() return soon.
  virtual void request_exit() = 0;
  // The guest is gone: detaches the mount point at once, even while run() is stuck in
  // a call to the dead guest, then makes run() return. After it, neither run() nor
  // the destructor unmounts by path: another instance may be mounted there by then.
  virtual void release_now() = 0;
};

}  // namespace alfs::nfs
