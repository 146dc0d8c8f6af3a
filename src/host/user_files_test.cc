#include "host/user_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"
#include "host/test_sudo.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

using test_sudo::check;
using test_sudo::exit_code_of;

bool opens(const std::string& path, int flags = O_RDONLY) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  return fd.valid();
}

// Root's files and a directory `nobody` may write, as under sudo by user "nobody".
class UnderSudo : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act for another user";
    nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    ::chmod(tmp.path().c_str(), 0755);
    write_file_atomic(secret, "root's", 0600);
    fs::create_directory(users_dir);
    ASSERT_EQ(::chown(users_dir.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  }
  TempDir tmp{"alfs-user-files"};
  std::string secret = tmp.file("secret");
  std::string users_dir = tmp.file("users");
  passwd* nobody = nullptr;
};

TEST_F(UnderSudo, FilesAreTheInvokingUsersUnlessAsRoot) {
  EXPECT_EQ(exit_code_of([&] {
              check(acting_for() && acting_for()->uid == nobody->pw_uid, "acting for nobody");
              check(!opens(secret), "root's file is closed to the user");
              check(!opens(tmp.file("new"), O_WRONLY | O_CREAT), "no file made in root's directory");
              std::string link = users_dir + "/link";
              fs::create_symlink(secret, link);
              check(!opens(link), "a symlink leads nowhere the user could not go");
              check(!opens(link, O_WRONLY | O_APPEND), "nor is written through");
              write_file_atomic(users_dir + "/mine", "x");
              struct stat st {};
              check(::stat((users_dir + "/mine").c_str(), &st) == 0 && st.st_uid == nobody->pw_uid,
                    "what the user's credentials make is theirs");
              {
                AsRoot root;
                check(opens(secret), "AsRoot: root's file");
                AsUser user;
                check(!opens(secret), "AsUser inside AsRoot: the user's again");
              }
              check(!opens(secret), "after AsRoot: the user's again");
              AsRoot not_now(false);
              check(!opens(secret), "AsRoot(false) changes nothing");
            }),
            0);
}

TEST_F(UnderSudo, RootOpensBlockDevicesForTheUserButNeverFiles) {
  // A root-only node of a block device here (the root filesystem's, or the first loop
  // device's): opening it read-only reads nothing.
  struct stat root_fs {};
  ASSERT_EQ(::stat("/", &root_fs), 0);
  std::string device = tmp.file("device");
  bool usable = false;
  for (dev_t number : {root_fs.st_dev, makedev(7, 0)}) {
    ::unlink(device.c_str());
    usable = major(number) != 0 && ::mknod(device.c_str(), S_IFBLK | 0600, number) == 0 && opens(device);
    if (usable) break;
  }
  if (!usable) GTEST_SKIP() << "no block device node to open here";
  write_file_atomic(users_dir + "/disk.img", "image", 0644);
  EXPECT_EQ(exit_code_of([&] {
              UniqueFd fd = open_disk_file(device, O_RDONLY);
              struct stat st {};
              check(::fstat(fd.get(), &st) == 0 && S_ISBLK(st.st_mode), "the block device, opened by root");
              try {
                open_disk_file(secret, O_RDONLY);
                check(false, "root's image file was opened");
              } catch (const Error& e) {
                check(std::strstr(e.what(), "root opens only block devices") != nullptr, e.what());
              }
              check(open_disk_fds(users_dir + "/disk.img", true).size() == 1, "the user's image, read-only");
              try {
                open_disk_fds(users_dir + "/disk.img", false);
                check(false, "an image the user may not write was opened read-write");
              } catch (const Error&) {
              }
            }),
            0);
}

TEST(NotUnderSudo, NothingChanges) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir tmp("alfs-user-files");
  write_file_atomic(tmp.file("secret"), "root's", 0600);
  EXPECT_EQ(exit_code_of(
                [&] {
                  check(!acting_for(), "acting for no one");
                  AsUser user;
                  check(open_disk_file(tmp.file("secret"), O_RDONLY).valid(), "root opens its own file");
                },
                /*as_sudo=*/false),
            0);
}

}  // namespace
}  // namespace alfs
