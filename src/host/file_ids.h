// The OS's side of host/user_files: the ids the kernel checks file accesses with, and
// root's open of a block device the user's lookup found.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "common/fd.h"

namespace alfs {

// Linux: this thread's fsuid and fsgid. macOS has none: the process's effective ids (its
// real ids stay root's, so root's come back). Like setfsuid, reports no error: file_ids()
// tells whether the switch took.
void switch_file_ids(uid_t uid, gid_t gid);
std::pair<uid_t, gid_t> file_ids();

// With the current file ids (the user's), looks `path` up; nullopt when it is not a block
// device. Else the device opened with `flags` by root (an invalid fd and errno when that
// fails), the one found: root follows no path the user could not.
std::optional<UniqueFd> open_found_block_device(const std::string& path, int flags);

}  // namespace alfs
