// The -o options a mount passes to the guest.
#pragma once

#include <sys/types.h>

#include <string>

namespace alfs {

// Whether the comma-separated `options` has `name` (alone, or as name=value).
bool has_option(const std::string& options, const std::string& name);

// The user's options, plus uid=/gid= of the invoking user for filesystems that have
// no ownership of their own (FAT, exFAT, NTFS): their files then belong to the user
// who mounted them, as on a desktop. Options the user gave win.
std::string guest_mount_options(const std::string& user_options, const std::string& fstype, uid_t uid, gid_t gid);

}  // namespace alfs
