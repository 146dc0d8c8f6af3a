// The macOS side of `list`: the disks as `diskutil list -plist` and `diskutil info -plist`
// describe them, in the model the Linux side fills from sysfs (disk_list.h). Structure
// and the filesystems macOS knows (FAT, exFAT, NTFS, HFS+) come from diskutil; what macOS
// has no driver for (ext4, btrfs, LUKS...) from a probe of the raw device.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/process.h"
#include "disk/disk_list.h"
#include "disk/probe.h"

namespace alfs {

// The output of `diskutil info -plist <identifier>` ("disk4", "disk4s2"), also when
// diskutil exits non-zero (it reports failures as a document); throws Error when there
// is no output to be had.
using DiskutilInfo = std::function<std::string(const std::string& identifier)>;
// libblkid on a raw device node ("/dev/rdisk4s2"); throws Error when it cannot be read.
using RawProbe = std::function<ProbeResult(const std::string& raw_path)>;

// Every disk of `diskutil list -plist` in its order, except APFS containers (synthesized
// disks). Rows: the partitions, or (row 0) the content of an unpartitioned disk; APFS
// partitions are left out, as what they hold is macOS's own. Identifiers are
// /dev/diskN[sM]. A disk whose info or probe fails carries the message in `error` and
// keeps the rows diskutil knows. Throws Error when the list document itself is malformed.
std::vector<ListedDisk> disks_from_diskutil(std::string_view list_plist, const DiskutilInfo& info,
                                            const RawProbe& probe);

// Runs a command to completion, as run_command does (a seam for the tests).
using CommandRunner = std::function<RunResult(const std::vector<std::string>& argv)>;

// `list` on macOS: disks_from_diskutil over `diskutil list -plist` and `diskutil info
// -plist <identifier>`, both through `run`. Throws Error with diskutil's words when the
// list itself fails.
std::vector<ListedDisk> macos_host_disks(const CommandRunner& run, const RawProbe& probe);

// /dev/diskN[sM] -> /dev/rdiskN[sM]: the character device, which reads without going
// through the buffer cache (many times faster for a VM). Other paths are returned as they are.
std::string raw_device_path(const std::string& path);

}  // namespace alfs
