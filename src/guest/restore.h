// A guest restored from a template (vm/guest_template.h) wakes up with the template's
// clock and random state and without the user's disks. The host's "restore" message
// (protocol.h RestoreRequest) brings the time and fresh random bytes, and the disks it
// hot-plugged on the SCSI bus; they get the names a cold boot gives them (/dev/vda, ...).
#pragma once

#include <chrono>
#include <string>

#include "common/protocol.h"

namespace alfs::guest {

// Sets the clock and mixes the bytes into the kernel's random pool (RNDADDENTROPY).
// Throws SystemError.
void renew_clock_and_entropy(const protocol::RestoreRequest& request);

// Waits (up to `timeout`) for the SCSI disks at LUN 0..count-1 under `sysfs`, rescans
// each one's partitions, and links /dev/vdX (and /dev/vdXN) in `dev` to them. A /dev/vdX
// already there (the template's root disk) is renamed to alfs-root first. Throws Error
// naming the disk that did not appear.
void link_hot_plugged_disks(int count, const std::string& sysfs, const std::string& dev,
                            std::chrono::milliseconds timeout);

// Why this guest cannot be saved for restores, from /proc/self/mounts' text: its root is
// mounted from a /dev/vdX name (images built before instant mount), which a restore gives
// the user's disks. Empty when it can.
std::string root_name_clash(const std::string& mounts);

}  // namespace alfs::guest
