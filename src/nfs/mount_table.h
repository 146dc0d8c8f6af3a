// The host's table of mounted filesystems, polled to notice an unmount that did not go
// through us (umount, or a Finder eject on macOS): the signal for a clean guest shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace alfs::nfs {

class MountTable {
 public:
  virtual ~MountTable() = default;
  // The mount points mounted now, as the kernel spells them. Throws Error.
  virtual std::vector<std::string> mount_points() const = 0;
};

// This host's table: /proc/self/mountinfo (mount_table_linux.cc) or getfsstat(2)
// (mount_table_macos.cc), the file chosen by the build.
std::unique_ptr<MountTable> system_mount_table();

// Polls `table` every `interval` until `mount_point` is no longer in it (true) or `stop`
// is set (false; an atomic flag, so a signal handler may set it). `mount_point` must be
// spelled as the table spells it: resolved through symlinks (macOS's /tmp is /private/tmp).
bool wait_until_unmounted(const MountTable& table, const std::string& mount_point, std::chrono::milliseconds interval,
                          const std::atomic<bool>& stop);

}  // namespace alfs::nfs
