#include "host/paths.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/temp_dir.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) ::unsetenv(name_);
    else ::setenv(name_, old_.c_str(), 1);
  }
  const char* name_;
  std::string old_;
};

TEST(ResolvePaths, DataLivesInTheHomeAndTheImageCacheCanMove) {
  ScopedEnv home("HOME", "/home/someone");
  ::unsetenv("SUDO_USER");
  Paths p = resolve_paths();
  EXPECT_EQ(p.data_dir, "/home/someone/.anylinuxfs");
  EXPECT_EQ(p.instances_dir, "/home/someone/.anylinuxfs/instances");
  {
    ScopedEnv images("ALFS_IMAGE_DIR", "/srv/alfs-images");
    EXPECT_EQ(resolve_paths().image_root, "/srv/alfs-images");
  }
  ::unsetenv("ALFS_IMAGE_DIR");
  EXPECT_EQ(resolve_paths().image_root, "/home/someone/.anylinuxfs/image");
  EXPECT_EQ(fs::path(p.agent_binary).filename(), "anylinuxfs-agent");
}

TEST(ResolvePaths, UnderSudoTheInvokingUsersHomeAndOwnership) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (sudo semantics)";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  ScopedEnv sudo_user("SUDO_USER", "nobody");
  ScopedEnv home("HOME", "/root");
  Paths p = resolve_paths();
  EXPECT_EQ(p.home, nobody->pw_dir);
  EXPECT_EQ(p.owner_uid, nobody->pw_uid);

  TempDir tmp("alfs-paths");
  fs::path dir = tmp.path();
  make_user_dirs(p, (dir / "a" / "b").string());
  struct stat st{};
  ASSERT_EQ(::stat((dir / "a" / "b").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid) << "created for the invoking user";
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace alfs
