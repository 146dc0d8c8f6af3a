// What `list` learns from the guest: the report of guest/inspector.h applied to the
// host's own listing. Volume groups and RAID arrays become synthetic disks whose rows
// carry `lvm:` and `raid:` identifiers made of the members' host identifiers; opened
// encrypted containers show what they hold; errors land on the disk they concern.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "disk/disk_list.h"

namespace alfs {

// `attached[i]` is the index in `disks` of the disk the guest saw as /dev/vd<'a'+i>.
// Returns the report's errors that concern no single disk (for the user as warnings).
std::vector<std::string> apply_inspection(std::vector<ListedDisk>& disks, const std::vector<size_t>& attached,
                                          const nlohmann::json& report);

}  // namespace alfs
