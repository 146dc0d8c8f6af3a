#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>

#include "host/file_ids.h"
#include "host/user_files.h"

namespace alfs {

void switch_file_ids(uid_t uid, gid_t gid) {
  ::setfsgid(gid);
  ::setfsuid(uid);
}

// An id that cannot be set (-1) changes nothing and returns the current one.
std::pair<uid_t, gid_t> file_ids() {
  return {static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))),
          static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1)))};
}

std::optional<UniqueFd> open_found_block_device(const std::string& path, int flags) {
  // O_PATH needs no permission on the file itself; only the open is root's, of exactly
  // the block device found.
  UniqueFd found(::open(path.c_str(), O_PATH | O_CLOEXEC));
  struct stat st {};
  if (!found || ::fstat(found.get(), &st) != 0 || !S_ISBLK(st.st_mode)) return std::nullopt;
  AsRoot root;
  return UniqueFd(::open(("/proc/self/fd/" + std::to_string(found.get())).c_str(), flags));
}

}  // namespace alfs
