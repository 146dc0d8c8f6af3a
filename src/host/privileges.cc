#include "host/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "common/error.h"
#include "common/os.h"

namespace alfs {

UserIdentity user_identity(uid_t uid, gid_t gid) {
  UserIdentity user{uid, gid, {gid}};
  if (passwd* pw = ::getpwuid(uid)) {
    std::vector<gid_t> groups(64);
    int count = static_cast<int>(groups.size());
    if (group_list(pw->pw_name, gid, groups.data(), &count) < 0) {
      groups.resize(static_cast<size_t>(count));
      group_list(pw->pw_name, gid, groups.data(), &count);
    }
    groups.resize(static_cast<size_t>(count));
    user.groups = std::move(groups);
  }
  return user;
}

void become_user(uid_t uid, gid_t gid) {
  UserIdentity user = user_identity(uid, gid);
  if (::setgroups(user.groups.size(), user.groups.data()) != 0) throw SystemError("setgroups");
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
