// Least privilege under sudo: root opens the disks and makes the mount point; the
// instance (supervisor, QEMU, the FUSE session) runs as the user who ran sudo.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/process.h"

namespace alfs {

// `uid` with primary group `gid` and the supplementary groups of its passwd entry (only
// `gid` for a uid without one).
UserIdentity user_identity(uid_t uid, gid_t gid);

// Switches this process to `uid`/`gid` for good, with the user's supplementary groups.
// Throws SystemError; afterwards root cannot be regained.
void become_user(uid_t uid, gid_t gid);

// Whether `uid`/`gid` may open `path` with `mode` (R_OK, W_OK...): checked in a child
// process that becomes them, so groups and ACLs count exactly.
bool user_can_access(const std::string& path, int mode, uid_t uid, gid_t gid);

}  // namespace alfs
