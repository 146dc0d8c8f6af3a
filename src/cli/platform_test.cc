#include "cli/platform.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

using vm::HostOs;

TEST(Platform, DefaultMountPointPerOs) {
  auto free = [](const std::string&) { return false; };
  EXPECT_EQ(default_mount_point(HostOs::kLinux, true, "/root", "photos", free), "/mnt/photos");
  EXPECT_EQ(default_mount_point(HostOs::kLinux, false, "/home/ann", "photos", free), "/home/ann/mnt/photos");
  EXPECT_EQ(default_mount_point(HostOs::kMacos, true, "/var/root", "photos", free), "/Volumes/photos");
  EXPECT_EQ(default_mount_point(HostOs::kMacos, false, "/Users/ann", "photos", free), "/Users/ann/Volumes/photos");
  auto first_taken = [](const std::string& p) { return p == "/Volumes/photos"; };
  EXPECT_EQ(default_mount_point(HostOs::kMacos, true, "/var/root", "photos", first_taken), "/Volumes/photos-1");
  EXPECT_THROW(default_mount_point(HostOs::kMacos, false, "", "photos", free), Error);
}

TEST(Platform, MacosListsTheDisksWithDiskutil) {
  // No diskutil here: the attempt to run it shows which way macOS goes.
  try {
    host_disks(HostOs::kMacos);
    FAIL() << "listed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/usr/sbin/diskutil"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace alfs
