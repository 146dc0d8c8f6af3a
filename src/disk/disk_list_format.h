// How `anylinuxfs list` prints its disks: a table in the layout of macOS `diskutil list`
// (as the Rust anylinuxfs does), or a JSON document (docs/list-json.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "disk/disk_list.h"

namespace alfs {

// Decimal units with one decimal, as diskutil: "512.0 B", "64.0 MB", "1.5 TB".
std::string format_size(uint64_t bytes);

// One block per disk, separated by blank lines:
//   /dev/sdb (external, physical):
//      #:                       TYPE NAME                    SIZE       IDENTIFIER
//      0:      GUID_partition_scheme                        *128.0 GB   /dev/sdb
//      1:                       ext4 mydata                  64.0 GB    /dev/sdb1
// Row 0 is the partition scheme, or the filesystem of an unpartitioned disk, with the whole
// disk's size marked '*' (physical) or '+' (images and synthetic disks). An error follows
// the header as "   error: <message>".
std::string format_table(const std::vector<ListedDisk>& disks);

std::string format_json(const std::vector<ListedDisk>& disks);

}  // namespace alfs
