// One writer per disk: an instance holds an flock on its disk for its whole life,
// exclusive when read-write, shared when read-only.
#pragma once

#include <string>

#include "common/fd.h"

namespace alfs {

// Throws Error "<path> is in use by another anylinuxfs instance (<holder>)" when the
// lock is held incompatibly; `holder` describes it (e.g. "mounted at /mnt/x").
UniqueFd lock_disk(const std::string& path, bool read_only, const std::string& holder);

}  // namespace alfs
