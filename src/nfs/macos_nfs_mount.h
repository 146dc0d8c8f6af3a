// Host presentation on macOS: the guest's export mounted by the macOS kernel's NFS client
// (mount_nfs). Built and tested on Linux; see the README's macOS section for what has
// never run on a Mac.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nfs/mount_table.h"
#include "nfs/presentation.h"

namespace alfs::nfs {

// mount_nfs(8) arguments: NFSv3 over TCP straight to the forwarded ports (no portmapper),
// no NLM locks (the guest's lockd is not forwarded), soft and interruptible with a
// timeout and few retries, so a dead guest gives EIO rather than a hung Finder.
std::vector<std::string> macos_nfs_mount_command(const NfsTarget& target, const std::string& mount_point,
                                                 bool read_only);

// /Volumes/<name> as root, ~/Volumes/<name> otherwise; <name>-1, -2, ... when `is_taken`.
// Throws Error when a non-root user has no home.
std::string macos_default_mount_point(bool is_root, const std::string& home, const std::string& name,
                                      const std::function<bool(const std::string&)>& is_taken);

// The mount made by mount_nfs, watched in the host's mount table until it goes (umount,
// a Finder eject), which ends run() and so the instance, as FUSE's unmount does on Linux.
class MacosNfsMount : public Presentation {
 public:
  // Runs mount_nfs; throws Error with its own text.
  static std::unique_ptr<MacosNfsMount> mount(const NfsTarget& target, const std::string& mount_point, bool read_only);
  // Takes charge of a mount: `mount_point` as `table` spells it; `unmount` is how run()
  // takes it away when asked to exit.
  MacosNfsMount(std::string mount_point, std::shared_ptr<const MountTable> table, std::function<void()> unmount);

  // Returns 0 once the mount point left the table, or after unmounting it on request_exit().
  int run() override;
  void request_exit() override { exit_requested_ = true; }
  // Unmounts now (a soft mount's calls to the dead guest fail) and ends run().
  void release_now() override;

 private:
  void unmount_once();

  std::string mount_point_;
  std::shared_ptr<const MountTable> table_;
  std::function<void()> unmount_;
  std::atomic<bool> exit_requested_{false};
  std::atomic<bool> unmounted_{false};
};

}  // namespace alfs::nfs
