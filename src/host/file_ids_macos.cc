#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "host/file_ids.h"
#include "host/user_files.h"

namespace alfs {

// Root's effective uid first: only root may set the effective gid to any group.
void switch_file_ids(uid_t uid, gid_t gid) {
  (void)::seteuid(0);
  (void)::setegid(gid);
  (void)::seteuid(uid);
}

std::pair<uid_t, gid_t> file_ids() { return {::geteuid(), ::getegid()}; }

std::optional<UniqueFd> open_found_block_device(const std::string& path, int flags) {
  // No O_PATH: the user's stat finds the device, root opens the path, and keeps the fd
  // only if it is that device (the path may have been replaced in between).
  struct stat found {};
  if (::stat(path.c_str(), &found) != 0 || !S_ISBLK(found.st_mode)) return std::nullopt;
  AsRoot root;
  UniqueFd fd(::open(path.c_str(), flags));
  struct stat opened {};
  if (fd && (::fstat(fd.get(), &opened) != 0 || !S_ISBLK(opened.st_mode) || opened.st_rdev != found.st_rdev)) {
    fd.reset();
    errno = EACCES;
  }
  return fd;
}

}  // namespace alfs
