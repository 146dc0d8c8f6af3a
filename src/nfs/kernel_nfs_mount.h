// Host presentation through the host kernel's own NFS client (root only, and only
// where the kernel has one: this project's test machine does not, so FUSE is the
// path its end-to-end tests exercise; this one is covered by unit tests).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "nfs/presentation.h"

namespace alfs::nfs {

// True when /proc/filesystems lists "nfs" (the client is built in or loaded).
bool kernel_has_nfs_client(std::string_view proc_filesystems);

// mount(8) arguments: NFSv3 over TCP straight to the forwarded ports (no portmapper),
// no NLM locking (the guest has no lockd reachable), soft with a timeout so a dead
// guest gives EIO rather than a hang.
std::vector<std::string> kernel_nfs_mount_command(const NfsTarget& target, const std::string& mount_point,
                                                  bool read_only);

class KernelNfsMount : public Presentation {
 public:
  // Mounts; throws Error with mount(8)'s own text. `still_mounted` tells whether the
  // mount point is still mounted (checked twice a second by run()).
  static std::unique_ptr<KernelNfsMount> mount(const NfsTarget& target, const std::string& mount_point, bool read_only,
                                               std::function<bool()> still_mounted);
  // Takes charge of an existing mount (what mount() returns).
  KernelNfsMount(std::string mount_point, std::function<bool()> still_mounted);

  int run() override;
  void request_exit() override;
  void release_now() override;

 private:
  void detach();

  std::string mount_point_;
  std::atomic<bool> detached_{false};
  std::function<bool()> still_mounted_;
  UniqueFd exit_event_;
};

}  // namespace alfs::nfs
