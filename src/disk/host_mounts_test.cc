#include "disk/host_mounts.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "config/paths.h"
#include "disk/test_disks.h"
#include "host/mount_point.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// "source on mount point" lines, for exact comparisons.
std::vector<std::string> described(const std::vector<HostMount>& mounts) {
  std::vector<std::string> lines;
  for (const auto& m : mounts) lines.push_back(m.source + " on " + m.mount_point);
  return lines;
}

void write_attribute(const fs::path& path, const std::string& value) {
  make_dirs(path.parent_path().string());
  write_file_atomic(path.string(), value + "\n");
}

class HostMountsTest : public ::testing::Test {
 protected:
  TempDir tmp{"alfs-host-mounts"};
  fs::path sysfs = fs::path(tmp.path()) / "sys";

  // A block device node of our own numbers: needs CAP_MKNOD.
  void make_block_node(const std::string& path, unsigned maj, unsigned min) {
    if (IsSkipped()) return;
    if (::mknod(path.c_str(), S_IFBLK | 0600, makedev(maj, min)) != 0)
      GTEST_SKIP() << "cannot make a block device node (needs root): " << std::strerror(errno);
  }
};

TEST_F(HostMountsTest, ImageFileThroughItsLoopDevicesWithFakeSysfs) {
  std::string image = tmp.file("disk.img");
  std::string other = tmp.file("other.img");
  write_file_atomic(image, "image");
  write_file_atomic(other, "other");
  std::string canonical = fs::canonical(image).string();
  write_attribute(sysfs / "block/loop0/loop/backing_file", canonical);
  write_attribute(sysfs / "block/loop0/dev", "7:0");
  write_attribute(sysfs / "block/loop0/loop0p1/partition", "1");
  write_attribute(sysfs / "block/loop0/loop0p1/dev", "259:0");
  write_attribute(sysfs / "block/loop0/loop0p2/partition", "2");
  write_attribute(sysfs / "block/loop0/loop0p2/dev", "259:1");
  write_attribute(sysfs / "block/loop0/queue/dev", "9:9");  // not a partition
  write_attribute(sysfs / "block/loop1/loop/backing_file", fs::canonical(other).string());
  write_attribute(sysfs / "block/loop1/dev", "7:1");
  // An earlier file of the same name, deleted since, is another file.
  write_attribute(sysfs / "block/loop2/loop/backing_file", canonical + " (deleted)");
  write_attribute(sysfs / "block/loop2/dev", "7:2");
  write_attribute(sysfs / "block/sda/dev", "7:3");
  std::string mountinfo =
      "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
      "40 27 259:0 / /media/p\\0401 rw - ext4 /dev/loop0p1 rw\n"
      "41 40 259:1 / /media/p\\0401/inner rw - vfat /dev/loop0p2 rw\n"
      "42 27 7:1 / /media/other rw - ext4 /dev/loop1 rw\n"
      "43 27 7:2 / /media/deleted rw - ext4 /dev/loop2 rw\n"
      "44 27 7:3 / /media/sda rw - ext4 /dev/sda rw\n"
      "45 27 0:50 / /media/fuse2fs rw - fuse.fuse2fs " +
      canonical +
      " rw\n"
      "46 27 0:51 / /mnt/alfs rw - fuse.anylinuxfs anylinuxfs:" +
      image +
      " rw\n"
      "47 27 259:0 /sub /srv/bind rw - ext4 /dev/loop0p1 rw\n";
  EXPECT_EQ(described(host_mounts_of(image, mountinfo, sysfs.string())),
            (std::vector<std::string>{"/dev/loop0p2 on /media/p 1/inner", canonical + " on /media/fuse2fs",
                                      "/dev/loop0p1 on /media/p 1", "/dev/loop0p1 on /srv/bind"}));
  EXPECT_EQ(described(host_mounts_of(other, mountinfo, sysfs.string())),
            std::vector<std::string>{"/dev/loop1 on /media/other"});
  // Named through a symlink, the image is the same file.
  fs::create_symlink(image, tmp.file("link.img"));
  EXPECT_EQ(host_mounts_of(tmp.file("link.img"), mountinfo, sysfs.string()).size(), 4u);
  write_file_atomic(tmp.file("unused.img"), "x");
  EXPECT_TRUE(host_mounts_of(tmp.file("unused.img"), mountinfo, sysfs.string()).empty());
  EXPECT_THROW(host_mounts_of(tmp.file("missing.img"), mountinfo, sysfs.string()), SystemError);
}

TEST_F(HostMountsTest, BlockDeviceAndItsPartitionsWithFakeSysfs) {
  std::string sdb = tmp.file("sdb"), sdb2 = tmp.file("sdb2"), sdc = tmp.file("sdc");
  make_block_node(sdb, 8, 16);
  make_block_node(sdb2, 8, 18);
  make_block_node(sdc, 8, 32);
  RETURN_IF_NOT_SET_UP();
  write_attribute(sysfs / "dev/block/8:16/dev", "8:16");
  write_attribute(sysfs / "dev/block/8:16/sdb1/partition", "1");
  write_attribute(sysfs / "dev/block/8:16/sdb1/dev", "8:17");
  write_attribute(sysfs / "dev/block/8:16/sdb2/partition", "2");
  write_attribute(sysfs / "dev/block/8:16/sdb2/dev", "8:18");
  make_dirs((sysfs / "dev/block/8:16/holders").string());
  // btrfs shows an anonymous device number: only its source names the partition.
  std::string mountinfo =
      "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
      "50 27 8:17 / /mnt/a\\040b rw shared:5 - ext4 /dev/sdb1 rw\n"
      "51 27 0:45 / /mnt/btrfs rw - btrfs " +
      sdb2 +
      " rw\n"
      "52 27 0:46 / /mnt/btrfs-other rw - btrfs " +
      sdc +
      " rw\n"
      "53 27 8:32 / /mnt/c rw - ext4 /dev/sdc rw\n"
      "54 27 8:16 / /mnt/w rw - ext4 /dev/sdb rw\n"
      "55 27 0:47 / /mnt/tmp rw - tmpfs tmpfs rw\n";
  EXPECT_EQ(described(host_mounts_of(sdb, mountinfo, sysfs.string())),
            (std::vector<std::string>{sdb2 + " on /mnt/btrfs", "/dev/sdb1 on /mnt/a b", "/dev/sdb on /mnt/w"}));
  // A partition named as the disk, without a sysfs directory: its own mounts only.
  EXPECT_EQ(described(host_mounts_of(sdb2, mountinfo, sysfs.string())),
            std::vector<std::string>{sdb2 + " on /mnt/btrfs"});
  EXPECT_EQ(described(host_mounts_of(sdc, mountinfo, sysfs.string())),
            (std::vector<std::string>{sdc + " on /mnt/btrfs-other", "/dev/sdc on /mnt/c"}));
}

// The real thing: an ext4 image on a loop device, mounted by the host kernel.
class LoopMount {
 public:
  ~LoopMount() {
    if (!mount_point.empty()) run_command({"umount", mount_point}, 30s);
    if (!loop.empty()) run_command({test_disks::find_tool("losetup"), "-d", loop}, 30s);
  }
  std::string loop;
  std::string mount_point;
};

TEST(HostMounts, ReportsARealLoopMount) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: losetup and mount";
  std::string losetup = test_disks::find_tool("losetup");
  if (losetup.empty()) GTEST_SKIP() << "losetup is not installed";
  TempDir tmp{"alfs-host-mounts"};
  std::string image = tmp.file("disk.img");
  test_disks::make_sparse(image, 8 * test_disks::kMiB);
  test_disks::run({"mkfs.ext4", "-q", "-F", image});
  RETURN_IF_NOT_SET_UP();
  std::string mount_point = fs::canonical(tmp.path()).string() + "/mnt";
  make_dirs(mount_point);
  {
    LoopMount mounted;
    RunResult attach = run_command({losetup, "--find", "--show", image}, 30s);
    ASSERT_TRUE(attach.ok()) << attach.output;
    mounted.loop = attach.output.substr(0, attach.output.find('\n'));
    RunResult mount = run_command({"mount", "-t", "ext4", mounted.loop, mount_point}, 30s);
    ASSERT_TRUE(mount.ok()) << mount.output;
    mounted.mount_point = mount_point;
    std::vector<std::string> expected{mounted.loop + " on " + mount_point};
    EXPECT_EQ(described(host_mounts_of(image)), expected);
    EXPECT_EQ(described(host_mounts_of(mounted.loop)), expected);
  }
  EXPECT_FALSE(is_mount_point(mount_point));
  EXPECT_TRUE(host_mounts_of(image).empty());
}

}  // namespace
}  // namespace alfs
