// From a disk identifier to what a mount attaches to the VM and mounts in the guest.
#pragma once

#include <string>
#include <vector>

#include "host/disk_ident.h"
#include "host/probe.h"

namespace alfs {

struct AttachedDisk {
  std::string path;    // absolute
  std::string format;  // "raw" or "qcow2"
};

struct Volume {
  std::vector<AttachedDisk> disks;          // attach order: /dev/vda, /dev/vdb, ...
  std::vector<std::string> guest_devices;   // what the guest mounts; the first is the mount source
  ProbeResult probe;                        // of the first device, as the host sees it (nothing for qcow2)
  std::string name;                         // for the default mount point
};

// The guest's name for attached disk `index` (0: vda) and its partition (0: whole disk).
std::string guest_device_name(size_t index, int partition);

// "raw" or "qcow2", from the image's magic; throws Error naming the path when unreadable.
std::string image_format(const std::string& path);

// Probes every disk of `ident` on the host. Throws Error: a missing or unreadable disk,
// a missing partition, a whole disk that holds a partition table instead of a
// filesystem (listing the partitions it has), or no filesystem at all when no type
// was given. LVM and RAID identifiers are not mountable yet.
Volume resolve_volume(const DiskIdent& ident, const std::string& fstype_override);

}  // namespace alfs
