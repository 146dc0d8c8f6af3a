// The model of `anylinuxfs list`: the disks, what each holds row by row, and the
// identifiers `mount` accepts for the rows. Structure comes from sysfs (readable without
// the right to open a disk), content from libblkid (probe). Printing is disk_list_format's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alfs {

// What a disk's header says it is, as in diskutil: "(external, physical)", ...
// Volume groups and volumes are the synthetic disks that LVM and RAID assemble.
enum class DiskKind { kExternal, kInternal, kImage, kVolume, kVolumeGroup };

// One row: a partition, or (index 0) a filesystem or container on the whole disk.
struct ListedVolume {
  int index = 0;     // the partition number (N of /dev/sdbN and img@sN); 0: the whole disk
  std::string type;  // blkid TYPE: "ext4", "crypto_LUKS", ...; empty: unknown or unreadable
  std::string name;  // the filesystem's label
  uint64_t size_bytes = 0;
  std::string identifier;  // what `mount` accepts for it
  // An encrypted container opened with `list -d`: what it holds.
  std::string inside_type;
  std::string inside_name;
  // The partition table's name for the partition's type, as diskutil gives it ("Linux
  // Filesystem", "Microsoft Basic Data"); macOS only. Shown when `type` is unknown.
  std::string partition_type;
  friend bool operator==(const ListedVolume&, const ListedVolume&) = default;
};

struct ListedDisk {
  std::string path;  // the header: a device or image path as named (absolute when discovered)
  DiskKind kind = DiskKind::kInternal;
  std::string format = "raw";  // "qcow2": only the guest sees inside, so it has no rows
  std::string scheme;          // blkid PTTYPE: "gpt", "dos", ...; empty: no partition table, or unreadable
  uint64_t size_bytes = 0;
  std::string backing_file;  // a loop device's image file
  std::string error;         // why the disk could not be read; its rows are then what sysfs knows
  std::vector<ListedVolume> volumes;
  friend bool operator==(const ListedDisk&, const ListedDisk&) = default;
};

// Where the host's block devices are described; tests point both at a fake tree.
struct HostPaths {
  std::string sysfs = "/sys";
  std::string dev = "/dev";
};

// Every whole disk in <sysfs>/block, by name, except RAM disks (ram*, zram*), loop
// devices without a backing file, device-mapper (dm-*) and md devices (listed later as
// volumes), optical drives (sr*) and drives without a medium (size 0).
std::vector<ListedDisk> list_host_disks(const HostPaths& host = {});

// The named disks in order: block devices (a whole disk, or a partition as a disk of
// its own) or image files (their rows named after the path as given). One that cannot
// be read carries the reason in `error`.
std::vector<ListedDisk> list_named_disks(const std::vector<std::string>& paths, const HostPaths& host = {});

// -l: Linux filesystems and containers; -m: Microsoft filesystems (and BitLocker);
// default: every row but Microsoft ones and swap (which nothing mounts).
enum class ListFilter { kDefault, kLinux, kMicrosoft };

bool is_shown(const std::string& type, ListFilter filter);

// Drops the rows the filter hides, then the disks left with no row, unless they carry an
// error or `keep_empty` (disks the user named are always shown).
std::vector<ListedDisk> filter_disks(std::vector<ListedDisk> disks, ListFilter filter, bool keep_empty);

}  // namespace alfs
