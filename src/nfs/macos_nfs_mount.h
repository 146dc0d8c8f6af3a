// Host presentation on macOS: the guest's export mounted by the macOS kernel's NFS client
// (mount_nfs). Built and tested on Linux; see the README's macOS section for what has
// never run on a Mac.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nfs/presentation.h"

namespace alfs::nfs {

// mount_nfs(8) arguments: NFSv3 over TCP straight to the forwarded ports (no portmapper),
// no NLM locks (the guest's lockd is not forwarded), soft and interruptible with a
// timeout and few retries, so a dead guest gives EIO rather than a hung Finder.
std::vector<std::string> macos_nfs_mount_command(const NfsTarget& target, const std::string& mount_point,
                                                 bool read_only);

// /Volumes/<name> as root, ~/Volumes/<name> otherwise; <name>-1, -2, ... when `is_taken`.
// Throws Error when a non-root user has no home.
std::string macos_default_mount_point(bool is_root, const std::string& home, const std::string& name,
                                      const std::function<bool(const std::string&)>& is_taken);

}  // namespace alfs::nfs
