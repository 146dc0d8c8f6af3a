#include "cli/mount_helper.h"

#include <gtest/gtest.h>

namespace alfs::cli {
namespace {

TEST(MountHelper, SpecAndDirFromMount8) {
  HelperMount m = parse_mount_helper_args({"/srv/disk.img", "/mnt/data", "-o", "rw,noatime", "-t", "anylinuxfs"});
  EXPECT_EQ(m.args.disk, "/srv/disk.img");
  EXPECT_EQ(m.args.mount_point, "/mnt/data");
  EXPECT_EQ(m.args.options, "rw,noatime");
  EXPECT_EQ(m.args.fstype, "");
  EXPECT_FALSE(m.fake);
  EXPECT_TRUE(m.args.quiet);
  EXPECT_FALSE(m.args.build_image);
}

TEST(MountHelper, FstabAndMountLevelOptionsAreDropped) {
  HelperMount m = parse_mount_helper_args(
      {"d.img", "/mnt/x", "-o", "defaults,noauto,user,nofail,_netdev,x-systemd.automount,comment=x,ro,noexec"});
  EXPECT_EQ(m.args.options, "ro,noexec");
}

TEST(MountHelper, OurOwnOptions) {
  HelperMount m = parse_mount_helper_args(
      {"d.img", "/mnt/x", "-o", "fstype=ntfs3,keyfile=/etc/k.bin,action=backup,backend=qemu,ignore_permissions,ro"});
  EXPECT_EQ(m.args.fstype, "ntfs3");
  EXPECT_EQ(m.args.key_file, "/etc/k.bin");
  EXPECT_EQ(m.args.action, "backup");
  EXPECT_EQ(m.args.backend, "qemu");
  EXPECT_TRUE(m.args.ignore_permissions);
  EXPECT_EQ(m.args.options, "ro");
}

TEST(MountHelper, SubtypeNamesTheFilesystem) {
  EXPECT_EQ(parse_mount_helper_args({"d.img", "/mnt/x", "-t", "anylinuxfs.btrfs"}).args.fstype, "btrfs");
}

TEST(MountHelper, Flags) {
  HelperMount m = parse_mount_helper_args({"-sfn", "d.img", "/mnt/x"});
  EXPECT_TRUE(m.fake);
  HelperMount v = parse_mount_helper_args({"d.img", "/mnt/x", "-v"});
  EXPECT_TRUE(v.args.verbose);
  EXPECT_FALSE(v.args.quiet);
}

TEST(MountHelper, UsageErrors) {
  EXPECT_THROW(parse_mount_helper_args({"d.img"}), HelperUsageError);
  EXPECT_THROW(parse_mount_helper_args({"d.img", "/mnt/x", "/mnt/y"}), HelperUsageError);
  EXPECT_THROW(parse_mount_helper_args({"d.img", "/mnt/x", "-o"}), HelperUsageError);
  EXPECT_THROW(parse_mount_helper_args({"d.img", "/mnt/x", "-N", "/proc/1/ns/mnt"}), HelperUsageError);
  EXPECT_THROW(parse_mount_helper_args({"d.img", "/mnt/x", "-w"}), HelperUsageError);
}

}  // namespace
}  // namespace alfs::cli
