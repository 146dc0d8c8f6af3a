// The host's own mounts of a disk: `mount` refuses such a disk (one writer per disk, product
// spec section 5) unless -r lets it unmount them first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace alfs {

struct HostMount {
  std::string source;  // as mountinfo shows it: "/dev/sdb1", "/dev/loop0p1", ...
  std::string mount_point;
};

// The mounts in `mountinfo` (text of /proc/self/mountinfo) that use `disk_path` or one of
// its partitions. A block device stands for its own device number and its partitions'
// (<sysfs>/dev/block/MAJ:MIN and its partition children); an image file for the loop
// devices backed by it (<sysfs>/block/loopN/loop/backing_file) and their partitions.
// A mount matches by its device number, or by its source: a block device with one of
// those numbers (btrfs shows an anonymous 0:N device number) or the image file itself.
// anylinuxfs's own FUSE mounts are not the host's. Deepest mount point first: the order
// to unmount them in. Throws SystemError when `disk_path` cannot be inspected.
std::vector<HostMount> host_mounts_of(const std::string& disk_path, std::string_view mountinfo,
                                      const std::string& sysfs);

// The same on this host: /proc/self/mountinfo and /sys.
std::vector<HostMount> host_mounts_of(const std::string& disk_path);

}  // namespace alfs
