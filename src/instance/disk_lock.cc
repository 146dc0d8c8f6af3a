#include "instance/disk_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include "common/error.h"
#include "host/user_files.h"

namespace alfs {

UniqueFd lock_disk(const std::string& path, bool read_only, const std::string& holder) {
  UniqueFd fd = open_disk_file(path, O_RDONLY);
  if (::flock(fd.get(), (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw SystemError("cannot lock " + path);
    throw Error(path + " is in use by another anylinuxfs instance" + (holder.empty() ? "" : " (" + holder + ")") +
                (read_only ? ", read-write" : "") + "; unmount it first");
  }
  return fd;
}

}  // namespace alfs
