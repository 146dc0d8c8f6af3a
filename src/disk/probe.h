// What a disk or disk image holds, read with libblkid before any VM is booted, so that
// `mount` can name the filesystem, pick a mount point from its label, and refuse
// garbage early with a precise message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alfs {

struct ProbeResult {
  std::string fstype;  // blkid TYPE: "ext4", "vfat", "crypto_LUKS", "LVM2_member"...; empty: unknown
  std::string label;
  std::string uuid;
  std::string part_table;  // blkid PTTYPE: "gpt", "dos", ...; empty: none (always empty inside a partition)
  uint64_t size_bytes = 0;
  // Signatures of several filesystems were found: fstype is empty and only an explicit
  // filesystem type (-t) can say which one is meant.
  bool ambivalent = false;
};

struct PartitionInfo {
  int number = 0;            // N in disk.img@sN, as in /dev/sdbN
  uint64_t start_bytes = 0;  // offset in the disk
  uint64_t size_bytes = 0;
  std::string type;     // GPT type GUID, or MBR type byte as "0x83"
  std::string name;     // GPT partition name; empty for MBR
  ProbeResult content;  // the filesystem inside, when detectable
};

// Probes a block device or image file. Unknown content is not an error (fstype is
// empty); a missing path, a directory, a non-disk file or an empty one are.
ProbeResult probe_path(const std::string& path);

// Partitions of a partitioned device or image, in table order; empty when there is no
// partition table. Extended-partition containers are left out: nothing is mountable in them.
std::vector<PartitionInfo> list_partitions(const std::string& path);

// Partition `number` (>= 1) of an image, for disk.img@sN. Throws alfs::Error when the image
// has no partition table, no such partition, or the partition runs past its end.
PartitionInfo probe_partition(const std::string& path, int number);

}  // namespace alfs
