// Where the export appears on the host: the default mount point (product spec, section 3:
// /mnt/<label> as root, ~/mnt/<label> otherwise, "-1", "-2"... when taken) and the checks
// on a mount point the user names.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/process.h"

namespace alfs {

// "/mnt" for root, "<home>/mnt" otherwise (`dir` "Volumes" on macOS); throws when a
// non-root user has no home.
std::string default_mount_base(bool is_root, const std::string& home, const std::string& dir = "mnt");

// base/name, or base/name-1, base/name-2, ... the first that `is_taken` rejects not.
// Throws after 1000 attempts rather than looping forever.
std::string choose_mount_point(const std::string& base, const std::string& name,
                               const std::function<bool(const std::string&)>& is_taken);

// True when `path` cannot serve as a fresh mount point: something is mounted there, it is
// a non-empty directory, it is not a directory (a symlink is not), or it cannot be
// inspected (a dead FUSE mount fails stat with ENOTCONN). A path that does not exist is free.
bool mount_point_taken(const std::string& path);

// One line of /proc/self/mountinfo, with the kernel's octal escapes (\040 for a space, ...)
// decoded.
struct MountinfoEntry {
  std::string device;  // "major:minor"; 0:N for filesystems without one block device (btrfs, tmpfs, FUSE)
  std::string mount_point;
  std::string fstype;  // empty on a line without the " - " separator
  std::string source;  // "/dev/sda1", "tmpfs", "anylinuxfs:disk.img", ...
};

std::vector<MountinfoEntry> parse_mountinfo(std::string_view text);

// Whether `path` (resolved through symlinks) is a mount point of this mount namespace.
bool is_mount_point(const std::string& path);

// A directory name for the volume: its label made safe for a path (no '/', no leading
// '.'), else the image file's stem ("disk" for "dir/disk.img"), else the device's name.
std::string volume_name(const std::string& label, const std::string& disk_path);

// Checks a mount point the user gave: an existing empty directory that nothing is mounted
// on, or a path whose parent directory exists (so it can be created).
void validate_mount_point(const std::string& path);

// Under sudo, a mount point the user named must be one they could have made themselves,
// checked and made with their credentials (the process's under sudo, user_files.h): an
// existing directory they own (not a symlink), or a new one, made now by them. When root
// mounts it itself (`root_mounts`: the kernel NFS client, or no /dev/fuse for the user;
// fusermount3 guards the user's own FUSE mounts), no directory above it may be theirs or
// writable by them, else they could swap it for another path before the mount.
struct UsersMountPoint {
  std::string path;  // with the directories above it resolved
  bool created = false;
};
UsersMountPoint prepare_users_mount_point(const std::string& path, uid_t uid, bool root_mounts);

// The default mount point root makes under /mnt for the user it acts for: a new directory
// of theirs (given by descriptor, never following a symlink). Throws SystemError.
void make_mount_point_for(const std::string& path, uid_t uid, gid_t gid);

// rmdir of a mount point we made; as root when root made it (make_mount_point_for).
void remove_mount_point(const std::string& path, bool made_by_root);

// `fusermount3 -u [-z] <mount point>`; as the user root acts for under sudo, so that only
// their own FUSE mounts can be unmounted (fusermount3 checks, as for any user).
RunResult fuse_unmount(const std::string& mount_point, bool lazy);

}  // namespace alfs
