// DISK_IDENT: the identifiers `list` prints and `mount` accepts (product spec, section 3).
//
//   /dev/sdb1, disk.img          one disk (a block device or an image file)
//   disk.img@s2                  partition 2 of an image
//   /dev/sdb1:/dev/sdc1          several disks of one filesystem (multi-device btrfs)
//   lvm:<vg>:<disk>[:...]:<lv>   an LVM logical volume on the listed disks
//   raid:<disk>[:<disk>...]      an mdadm array of the listed disks
//
// ':' separates disks, so a path containing ':' cannot be named.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace alfs {

struct DiskRef {
  std::string path;   // as given: relative paths stay relative
  int partition = 0;  // N of an "@sN" suffix; 0: the whole disk or image
  friend bool operator==(const DiskRef&, const DiskRef&) = default;
};

struct DiskIdent {
  enum class Kind { kSingle, kMulti, kLvm, kRaid };
  Kind kind = Kind::kSingle;
  std::vector<DiskRef> disks;  // never empty
  std::string vg, lv;          // kLvm only
  std::string text;            // the identifier as the user wrote it, for messages
};

// Throws alfs::Error naming the identifier and what is wrong with it.
DiskIdent parse_disk_ident(std::string_view text);

// The canonical identifier; parse_disk_ident(to_string(x)) gives x back.
std::string to_string(const DiskIdent& ident);
std::string to_string(const DiskRef& disk);

}  // namespace alfs
