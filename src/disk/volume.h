// From a disk identifier to what a mount attaches to the VM and mounts in the guest.
#pragma once

#include <string>
#include <vector>

#include "disk/disk_ident.h"
#include "disk/probe.h"

namespace alfs {

struct AttachedDisk {
  std::string path;    // absolute
  std::string format;  // "raw" or "qcow2"
};

struct Volume {
  std::vector<AttachedDisk> disks;           // attach order: /dev/vda, /dev/vdb, ...
  std::vector<std::string> guest_devices;    // per disk: the device (or partition) in the guest
  std::vector<std::string> drive_names;      // per disk: as the user named it (for prompts)
  std::vector<ProbeResult> probes;           // per disk, as the host sees it (nothing for qcow2)
  std::string volume_group, logical_volume;  // lvm: identifiers
  bool raid = false;                         // raid: identifiers
  std::string fstype;                        // the filesystem, when the host can see it (not inside a container)
  std::string name;                          // for the default mount point
};

// Types blkid reports for containers the guest opens before it finds a filesystem.
bool is_container_type(const std::string& type);
bool is_encrypted_type(const std::string& type);

// The guest's name for attached disk `index` (0: vda) and its partition (0: whole disk).
std::string guest_device_name(size_t index, int partition);

// "raw" or "qcow2", from the image's magic; throws Error naming the path when unreadable.
std::string image_format(const std::string& path);

// Probes every disk of `ident` on the host. Throws Error: a missing or unreadable disk,
// a missing partition, a whole disk that holds a partition table instead of a
// filesystem (listing the partitions it has), an LVM or RAID member named without
// its lvm:/raid: identifier, or no filesystem at all when no type was given.
Volume resolve_volume(const DiskIdent& ident, const std::string& fstype_override);

}  // namespace alfs
