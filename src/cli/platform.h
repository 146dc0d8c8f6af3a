// Which host pieces serve the OS the tool runs on (how the export is presented:
// instance/presenter.h): where the default mount point goes, where `list` finds the
// disks. Pure functions of their inputs, so both OSes' choices are tested on Linux.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "disk/disk_list.h"
#include "vm/qemu.h"

namespace alfs {

// Linux /mnt/<name> as root, ~/mnt/<name> otherwise; macOS /Volumes, ~/Volumes; "-1",
// "-2", ... when `is_taken`. Throws Error when a non-root user has no usable home.
std::string default_mount_point(vm::HostOs os, bool is_root, const std::string& home, const std::string& name,
                                const std::function<bool(const std::string&)>& is_taken);

// The disks `list` shows without arguments: sysfs and libblkid on Linux; `diskutil` on
// macOS (macos/diskutil.h), its raw devices probed with libblkid.
std::vector<ListedDisk> host_disks(vm::HostOs os);

}  // namespace alfs
