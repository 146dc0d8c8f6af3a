#include "host/privileges.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

constexpr uid_t kNobody = 65534;

TEST(Privileges, AccessIsCheckedAsTheUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  TempDir dir("alfs-priv");
  std::string mine = dir.file("root-only");
  write_file_atomic(mine, "x", 0600);
  ::chmod(dir.path().c_str(), 0755);
  EXPECT_TRUE(user_can_access(mine, R_OK | W_OK, 0, 0));
  EXPECT_FALSE(user_can_access(mine, R_OK, kNobody, kNobody));
  ::chmod(mine.c_str(), 0644);
  EXPECT_TRUE(user_can_access(mine, R_OK, kNobody, kNobody));
  EXPECT_FALSE(user_can_access(mine, W_OK, kNobody, kNobody));
}

TEST(Privileges, BecomingAUserIsForGood) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    become_user(kNobody, kNobody);
    bool dropped = ::getuid() == kNobody && ::geteuid() == kNobody && ::getegid() == kNobody && ::setuid(0) != 0;
    ::_exit(dropped ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace alfs
