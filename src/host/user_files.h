// `sudo anylinuxfs` does not make its caller root. Under sudo the whole process works on
// files with the invoking user's credentials (fsuid, fsgid and their groups: the kernel
// then checks every open, create, rename and unlink as theirs, and a symlink they planted
// leads nowhere they could not go themselves); root's own file credentials come back only
// in AsRoot scopes, for what sudo grants: block devices, the mount point under /mnt, the
// image build and a root-owned image cache. Commands run as the user too (run_command_as).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/process.h"

namespace alfs {

// Under sudo (root, the invoking user not root): adopts that user's file credentials for
// the whole process. Call once at start, while it has one thread (setfsuid is per thread;
// threads and children inherit the creator's). Throws SystemError.
void adopt_invoking_user_files();

// The user root acts for, after adopt_invoking_user_files and while this process is root
// (a process that became the user acts for no one).
std::optional<UserIdentity> acting_for();

// This thread's file credentials are root's (AsRoot) or the invoking user's (AsUser) for
// the guard's life, then the previous ones again. No-op where root acts for no one, or
// when `when` is false.
class FileCredentials {
 public:
  ~FileCredentials();
  FileCredentials(const FileCredentials&) = delete;
  FileCredentials& operator=(const FileCredentials&) = delete;

 protected:
  FileCredentials(bool root, bool when);

 private:
  bool active_ = false;
  uid_t previous_uid_ = 0;
  gid_t previous_gid_ = 0;
};

class AsRoot : public FileCredentials {
 public:
  explicit AsRoot(bool when = true) : FileCredentials(true, when) {}
};

class AsUser : public FileCredentials {
 public:
  explicit AsUser(bool when = true) : FileCredentials(false, when) {}
};

// A disk or image the user named, opened with `flags`: with the user's credentials; a
// block device they may not open is opened by root where root acts for them (that is
// what sudo anylinuxfs grants), an image file never. Throws Error naming the path and why.
UniqueFd open_disk_file(const std::string& path, int flags);

// The descriptors a VM gets for a disk (vm::DiskAttachment::fds): read-only, and
// read-write unless `read_only`, each opened by open_disk_file.
std::vector<UniqueFd> open_disk_fds(const std::string& path, bool read_only);

}  // namespace alfs
