#include "disk/mount_options.h"

#include <gtest/gtest.h>

namespace alfs {
namespace {

TEST(HasOption, WholeNamesAndNameValuePairs) {
  EXPECT_TRUE(has_option("ro", "ro"));
  EXPECT_TRUE(has_option("noatime,ro", "ro"));
  EXPECT_TRUE(has_option("subvol=a,uid=5", "uid"));
  EXPECT_FALSE(has_option("rw,errors=remount-ro", "ro"));
  EXPECT_FALSE(has_option("", "ro"));
}

TEST(GuestMountOptions, OwnerlessFilesystemsBelongToTheInvokingUser) {
  EXPECT_EQ(guest_mount_options("", "vfat", 1000, 1001), "uid=1000,gid=1001");
  EXPECT_EQ(guest_mount_options("ro", "exfat", 1000, 1001), "ro,uid=1000,gid=1001");
  EXPECT_EQ(guest_mount_options("uid=0", "ntfs", 1000, 1001), "uid=0,gid=1001") << "the user's choice wins";
}

TEST(GuestMountOptions, UnixFilesystemsKeepTheirOwnOwnership) {
  EXPECT_EQ(guest_mount_options("noatime", "ext4", 1000, 1001), "noatime");
  EXPECT_EQ(guest_mount_options("", "btrfs", 1000, 1001), "");
}

}  // namespace
}  // namespace alfs
