#include "host/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "common/error.h"

namespace alfs {

std::vector<gid_t> user_groups(uid_t uid, gid_t gid) {
  passwd* pw = ::getpwuid(uid);
  if (pw == nullptr) return {gid};
  std::vector<gid_t> groups(64);
  int count = static_cast<int>(groups.size());
  if (::getgrouplist(pw->pw_name, gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    ::getgrouplist(pw->pw_name, gid, groups.data(), &count);
  }
  groups.resize(static_cast<size_t>(count));
  return groups;
}

void become_user(uid_t uid, gid_t gid) {
  std::vector<gid_t> groups = user_groups(uid, gid);
  if (::setgroups(groups.size(), groups.data()) != 0) throw SystemError("setgroups");
  if (::setgid(gid) != 0) throw SystemError("setgid " + std::to_string(gid));
  if (::setuid(uid) != 0) throw SystemError("setuid " + std::to_string(uid));
  if (uid != 0 && ::setuid(0) == 0) throw Error("dropping root failed: it could be regained");
}

bool user_can_access(const std::string& path, int mode, uid_t uid, gid_t gid) {
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) {
    try {
      become_user(uid, gid);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(::access(path.c_str(), mode) == 0 ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace alfs
