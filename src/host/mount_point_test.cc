#include "host/mount_point.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"
#include "disk/test_disks.h"
#include "host/test_sudo.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using test_disks::error_of;

std::string validation_error(const std::string& path) {
  return error_of([&] { validate_mount_point(path); });
}

TEST(MountPoint, DefaultBase) {
  EXPECT_EQ(default_mount_base(true, "/root"), "/mnt");
  EXPECT_EQ(default_mount_base(false, "/home/u"), "/home/u/mnt");
  EXPECT_EQ(default_mount_base(false, "/home/u/"), "/home/u/mnt");
  EXPECT_THROW(default_mount_base(false, ""), Error);
  EXPECT_THROW(default_mount_base(false, "relative/home"), Error);
}

TEST(MountPoint, ChooseFirstFree) {
  std::set<std::string> taken;
  auto is_taken = [&](const std::string& p) { return taken.count(p) > 0; };
  EXPECT_EQ(choose_mount_point("/mnt", "data", is_taken), "/mnt/data");
  taken = {"/mnt/data"};
  EXPECT_EQ(choose_mount_point("/mnt/", "data", is_taken), "/mnt/data-1");
  taken = {"/mnt/data", "/mnt/data-1", "/mnt/data-2"};
  EXPECT_EQ(choose_mount_point("/mnt", "data", is_taken), "/mnt/data-3");
  // Only the first free name counts, not gaps after it.
  taken = {"/mnt/data", "/mnt/data-2"};
  EXPECT_EQ(choose_mount_point("/mnt", "data", is_taken), "/mnt/data-1");
}

TEST(MountPoint, ChooseGivesUpInsteadOfLoopingForever) {
  int calls = 0;
  try {
    choose_mount_point("/mnt", "x", [&](const std::string&) { return ++calls > 0; });
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot choose a mount point: /mnt/x and /mnt/x-1 to /mnt/x-999 are all taken"));
  }
  EXPECT_EQ(calls, 1000);
}

TEST(MountPoint, ParsesMountinfo) {
  std::string text =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "35 22 0:32 / /media/my\\040disk rw,nosuid - vfat /dev/disk/by-label/my\\040disk rw\n"
      "36 22 0:33 / /weird\\134name\\011tab rw shared:2 master:1 - tmpfs tmpfs rw\n"
      "37 22 0:34 /sub /bad\\9 rw - tmpfs tmpfs rw\n"
      "38 22 0:35 / /no-separator rw\n"
      "39 22\n";
  auto entries = parse_mountinfo(text);
  std::vector<std::string> summary;
  for (const auto& e : entries) summary.push_back(e.device + "|" + e.mount_point + "|" + e.fstype + "|" + e.source);
  EXPECT_THAT(summary,
              ElementsAre("8:1|/|ext4|/dev/sda1", "0:32|/media/my disk|vfat|/dev/disk/by-label/my disk",
                          "0:33|/weird\\name\ttab|tmpfs|tmpfs", "0:34|/bad\\9|tmpfs|tmpfs", "0:35|/no-separator||"));
}

TEST(MountPoint, RealMountPoints) {
  TempDir dir;
  EXPECT_TRUE(is_mount_point("/"));
  EXPECT_TRUE(is_mount_point("/proc/"));
  EXPECT_FALSE(is_mount_point(dir.file("")));
  EXPECT_FALSE(is_mount_point(dir.file("missing")));
  // Symlinks are resolved before comparing.
  fs::create_directory_symlink("/proc", dir.file("proc-link"));
  EXPECT_TRUE(is_mount_point(dir.file("proc-link")));
}

TEST(MountPoint, Taken) {
  TempDir dir;
  EXPECT_FALSE(mount_point_taken(dir.file("missing")));
  fs::create_directory(dir.file("empty"));
  EXPECT_FALSE(mount_point_taken(dir.file("empty")));
  fs::create_directory(dir.file("full"));
  write_file_atomic(dir.file("full/.hidden"), "x");
  EXPECT_TRUE(mount_point_taken(dir.file("full")));
  write_file_atomic(dir.file("file"), "x");
  EXPECT_TRUE(mount_point_taken(dir.file("file")));
  EXPECT_TRUE(mount_point_taken(dir.file("file/below")));
  EXPECT_TRUE(mount_point_taken("/proc"));
  fs::create_directory_symlink(dir.file("empty"), dir.file("link"));
  EXPECT_TRUE(mount_point_taken(dir.file("link"))) << "a symlink is no mount point of ours";
}

TEST(MountPoint, ChooseWithTheRealCheck) {
  TempDir dir;
  fs::create_directory(dir.file("vol"));
  write_file_atomic(dir.file("vol/data"), "x");
  write_file_atomic(dir.file("vol-1"), "x");
  fs::create_directory(dir.file("vol-2"));
  EXPECT_EQ(choose_mount_point(dir.file(""), "vol", mount_point_taken), dir.file("vol-2"));
}

TEST(MountPoint, VolumeName) {
  std::string label = "My Disk";
  EXPECT_EQ(volume_name(label, "/dev/sdb1"), "My Disk");
  label = "a/b";
  EXPECT_EQ(volume_name(label, "/dev/sdb1"), "a_b");
  label = "..secret";
  EXPECT_EQ(volume_name(label, "/dev/sdb1"), "secret");
  label = "../../etc";
  EXPECT_EQ(volume_name(label, "/dev/sdb1"), "_.._etc") << "a hostile label stays one name";
  label = "tab\there";
  EXPECT_EQ(volume_name(label, "/dev/sdb1"), "tab_here");

  EXPECT_EQ(volume_name("", "dir/disk.img"), "disk");
  EXPECT_EQ(volume_name("", "/images/backup.2024.img"), "backup.2024");
  EXPECT_EQ(volume_name("", ".hidden.img"), "hidden");
  EXPECT_EQ(volume_name("", "/dev/sdb1"), "sdb1");
  EXPECT_EQ(volume_name("", "/dev/mapper/vg-lv.x"), "vg-lv.x");
  EXPECT_EQ(volume_name("", "/dev/disk4s2"), "disk4s2");

  // A label that sanitizes to nothing falls back to the path; a path that does too, to "disk".
  EXPECT_EQ(volume_name("..", "usb.img"), "usb");
  EXPECT_EQ(volume_name("..", ".img"), "img");
  EXPECT_EQ(volume_name("..", "..."), "disk");
}

TEST(MountPoint, ValidateAcceptsEmptyDirectoryAndCreatablePath) {
  TempDir dir;
  fs::create_directory(dir.file("empty"));
  EXPECT_EQ(validation_error(dir.file("empty")), "(no error)");
  EXPECT_EQ(validation_error(dir.file("empty/")), "(no error)");
  EXPECT_EQ(validation_error(dir.file("new")), "(no error)");
  fs::create_directory_symlink(dir.file("empty"), dir.file("link"));
  EXPECT_EQ(validation_error(dir.file("link")), "(no error)");
}

TEST(MountPoint, ValidateRejects) {
  TempDir dir;
  write_file_atomic(dir.file("file"), "x");
  EXPECT_EQ(validation_error(dir.file("file")), "mount point " + dir.file("file") + " is a file, not a directory");

  fs::create_directory(dir.file("full"));
  write_file_atomic(dir.file("full/x"), "x");
  EXPECT_EQ(validation_error(dir.file("full")), "mount point " + dir.file("full") + " is not empty");

  EXPECT_EQ(
      validation_error(dir.file("a/b")),
      "mount point " + dir.file("a/b") + " does not exist and cannot be created: " + dir.file("a") + " does not exist");
  EXPECT_THAT(validation_error(dir.file("file/below")), HasSubstr("Not a directory"));

  fs::create_symlink(dir.file("nowhere"), dir.file("dangling"));
  EXPECT_EQ(validation_error(dir.file("dangling")),
            "mount point " + dir.file("dangling") + " is a symbolic link to a path that does not exist");

  EXPECT_EQ(validation_error("/"), "mount point / is already a mount point (something else is mounted there)");
  EXPECT_EQ(validation_error("/dev/null"), "mount point /dev/null is a character device, not a directory");
  EXPECT_EQ(validation_error(""), "empty mount point");
}

// Under sudo a named mount point is one the user could have made (as user nobody here).
TEST(UsersMountPoint, AnExistingDirectoryOfTheirsOrANewOneTheyMake) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act for another user";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string users = dir.file("users"), theirs = dir.file("users/theirs"), roots = dir.file("roots");
  for (const auto& d : {users, theirs, roots}) fs::create_directory(d);
  ASSERT_EQ(::chown(users.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ASSERT_EQ(::chown(theirs.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  fs::create_directory_symlink(roots, users + "/link");
  uid_t uid = nobody->pw_uid;
  EXPECT_EQ(test_sudo::exit_code_of([&] {
              using test_sudo::check;
              UsersMountPoint made = prepare_users_mount_point(users + "/new/", uid, false);
              struct stat st {};
              check(made.created && made.path == users + "/new", "a new one: " + made.path);
              check(::stat(made.path.c_str(), &st) == 0 && st.st_uid == uid, "made by the user");
              check(!prepare_users_mount_point(theirs, uid, false).created, "an existing one of theirs");
              std::string error = error_of([&] { prepare_users_mount_point(roots, uid, false); });
              check(error == "mount point " + roots +
                                 " is not yours: under sudo it must be a directory you own, "
                                 "or a new one in a directory you may write",
                    error);
              error = error_of([&] { prepare_users_mount_point(roots + "/new", uid, false); });
              check(error.find("Permission denied") != std::string::npos, error);
              error = error_of([&] { prepare_users_mount_point(users + "/link", uid, false); });
              check(error == "mount point " + users + "/link is a symbolic link, not a directory of yours", error);
              // Where root mounts it, a directory of theirs above it could be swapped meanwhile.
              error = error_of([&] { prepare_users_mount_point(theirs, uid, true); });
              check(error.find(users + " is; use the default mount point") != std::string::npos, error);
            }),
            0);
}

TEST(UsersMountPoint, WhereRootMountsEveryDirectoryAboveIsRoots) {
  if (::geteuid() != 0 || !fs::is_directory("/run")) GTEST_SKIP() << "needs root and /run";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  std::string saved = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  ::setenv("TMPDIR", "/run", 1);  // root's all the way up, unlike /tmp
  TempDir dir;
  if (saved.empty())
    ::unsetenv("TMPDIR");
  else
    ::setenv("TMPDIR", saved.c_str(), 1);
  ::chmod(dir.path().c_str(), 0755);
  std::string theirs = dir.file("theirs");
  fs::create_directory(theirs);
  ASSERT_EQ(::chown(theirs.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  EXPECT_EQ(test_sudo::exit_code_of([&] {
              UsersMountPoint mp = prepare_users_mount_point(theirs, nobody->pw_uid, true);
              test_sudo::check(!mp.created && mp.path == theirs, mp.path);
            }),
            0);
}

}  // namespace
}  // namespace alfs
