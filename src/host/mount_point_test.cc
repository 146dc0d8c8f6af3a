#include "host/mount_point.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/temp_dir.h"
#include "common/fd.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string validation_error(const std::string& path) {
  try {
    validate_mount_point(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
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
    EXPECT_THAT(e.what(),
                HasSubstr("cannot choose a mount point: /mnt/x and /mnt/x-1 to /mnt/x-999 are all taken"));
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
  EXPECT_THAT(summary, ElementsAre("8:1|/|ext4|/dev/sda1", "0:32|/media/my disk|vfat|/dev/disk/by-label/my disk",
                                   "0:33|/weird\\name\ttab|tmpfs|tmpfs", "0:34|/bad\\9|tmpfs|tmpfs",
                                   "0:35|/no-separator||"));
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
  ProbeResult labelled;
  labelled.label = "My Disk";
  EXPECT_EQ(volume_name(labelled, "/dev/sdb1"), "My Disk");
  labelled.label = "a/b";
  EXPECT_EQ(volume_name(labelled, "/dev/sdb1"), "a_b");
  labelled.label = "..secret";
  EXPECT_EQ(volume_name(labelled, "/dev/sdb1"), "secret");
  labelled.label = "tab\there";
  EXPECT_EQ(volume_name(labelled, "/dev/sdb1"), "tab_here");

  ProbeResult unlabelled;
  EXPECT_EQ(volume_name(unlabelled, "dir/disk.img"), "disk");
  EXPECT_EQ(volume_name(unlabelled, "/images/backup.2024.img"), "backup.2024");
  EXPECT_EQ(volume_name(unlabelled, ".hidden.img"), "hidden");
  EXPECT_EQ(volume_name(unlabelled, "/dev/sdb1"), "sdb1");
  EXPECT_EQ(volume_name(unlabelled, "/dev/mapper/vg-lv.x"), "vg-lv.x");
  EXPECT_EQ(volume_name(unlabelled, "/dev/disk4s2"), "disk4s2");

  // A label that sanitizes to nothing falls back to the path; a path that does too, to "disk".
  ProbeResult dots;
  dots.label = "..";
  EXPECT_EQ(volume_name(dots, "usb.img"), "usb");
  EXPECT_EQ(volume_name(dots, ".img"), "img");
  EXPECT_EQ(volume_name(dots, "..."), "disk");
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
  EXPECT_EQ(validation_error(dir.file("file")),
            "mount point " + dir.file("file") + " is a file, not a directory");

  fs::create_directory(dir.file("full"));
  write_file_atomic(dir.file("full/x"), "x");
  EXPECT_EQ(validation_error(dir.file("full")), "mount point " + dir.file("full") + " is not empty");

  EXPECT_EQ(validation_error(dir.file("a/b")), "mount point " + dir.file("a/b") +
                                                   " does not exist and cannot be created: " + dir.file("a") +
                                                   " does not exist");
  EXPECT_THAT(validation_error(dir.file("file/below")), HasSubstr("Not a directory"));

  fs::create_symlink(dir.file("nowhere"), dir.file("dangling"));
  EXPECT_EQ(validation_error(dir.file("dangling")),
            "mount point " + dir.file("dangling") + " is a symbolic link to a path that does not exist");

  EXPECT_EQ(validation_error("/"),
            "mount point / is already a mount point (something else is mounted there)");
  EXPECT_EQ(validation_error("/dev/null"), "mount point /dev/null is a character device, not a directory");
  EXPECT_EQ(validation_error(""), "empty mount point");
}

}  // namespace
}  // namespace alfs
