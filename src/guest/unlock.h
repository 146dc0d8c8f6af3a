// Opening an encrypted device (LUKS1/2, BitLocker) with cryptsetup, the secret on its
// stdin: shared by the mount (read-write) and `list -d` (read-only) paths.
#pragma once

#include <optional>
#include <string>

#include "common/protocol.h"
#include "guest/runner.h"

namespace alfs::guest {

// Maps `device` to /dev/mapper/<name>. Wipes `secret` whatever happens. Returns the
// "unlock" error with cryptsetup's own words, prefixed by the device.
std::optional<protocol::GuestError> unlock_device(Runner& runner, const std::string& device, const std::string& name,
                                                  std::string& secret, bool read_only);

}  // namespace alfs::guest
