#include "host/user_files.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <tuple>

#include "common/error.h"
#include "config/paths.h"
#include "host/file_ids.h"
#include "host/privileges.h"

namespace alfs {

namespace {

std::optional<UserIdentity>& invoking_user() {
  static std::optional<UserIdentity> user;
  return user;
}

// The switch reports no errors: asking what the ids are now tells.
void set_file_ids(uid_t uid, gid_t gid) {
  switch_file_ids(uid, gid);
  if (file_ids() != std::pair{uid, gid})
    throw SystemError("cannot switch the file credentials to uid " + std::to_string(uid), EPERM);
}

}  // namespace

void adopt_invoking_user_files() {
  if (::geteuid() != 0) return;
  Paths paths = resolve_paths();
  if (paths.owner_uid == 0) return;
  UserIdentity user = user_identity(paths.owner_uid, paths.owner_gid);
  // Access checks count the supplementary groups too: the user's, not root's.
  if (::setgroups(user.groups.size(), user.groups.data()) != 0) throw SystemError("setgroups");
  set_file_ids(user.uid, user.gid);
  invoking_user() = std::move(user);
}

std::optional<UserIdentity> acting_for() {
  if (::geteuid() != 0) return std::nullopt;
  return invoking_user();
}

FileCredentials::FileCredentials(bool root, bool when) {
  auto user = acting_for();
  if (!when || !user) return;
  std::tie(previous_uid_, previous_gid_) = file_ids();
  set_file_ids(root ? 0 : user->uid, root ? 0 : user->gid);
  active_ = true;
}

FileCredentials::~FileCredentials() {
  if (!active_) return;
  int err = errno;  // a call made in the scope is judged by its errno after it
  switch_file_ids(previous_uid_, previous_gid_);
  errno = err;
}

UniqueFd open_disk_file(const std::string& path, int flags) {
  flags |= O_CLOEXEC | O_NOCTTY;
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if ((err == EACCES || err == EPERM) && acting_for()) {
    // Looked up with the user's credentials, so root follows no path the user could not.
    std::optional<UniqueFd> device = open_found_block_device(path, flags);
    if (!device) {
      throw Error("cannot open " + path + ": " + std::strerror(err) +
                  " (under sudo an image file is opened with your own permissions; root opens only block devices)");
    }
    if (*device) return std::move(*device);
    err = errno;
  }
  throw SystemError("cannot open " + path, err);
}

std::vector<UniqueFd> open_disk_fds(const std::string& path, bool read_only) {
  std::vector<UniqueFd> fds;
  fds.push_back(open_disk_file(path, O_RDONLY));
  if (!read_only) fds.push_back(open_disk_file(path, O_RDWR));
  return fds;
}

}  // namespace alfs
