// The hot-plugged disks' names, against a made-up /sys and /dev in a temporary directory.
#include "guest/restore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/temp_dir.h"

namespace alfs::guest {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct FakeTree {
  TempDir dir;
  std::string sys = dir.path() + "/sys", dev = dir.path() + "/dev";
  FakeTree() {
    fs::create_directories(sys + "/bus/scsi/devices");
    fs::create_directories(dev);
  }
  // The kernel's names come in any order: the disk at `lun` is `name`.
  void disk(int lun, const std::string& name, std::vector<int> partitions = {}) {
    fs::create_directories(sys + "/bus/scsi/devices/0:0:0:" + std::to_string(lun) + "/block/" + name);
    fs::create_directories(sys + "/block/" + name + "/queue");
    for (int p : partitions) fs::create_directories(sys + "/block/" + name + "/" + name + std::to_string(p));
    std::ofstream(dev + "/" + name) << "";
  }
  std::string target(const std::string& link) { return fs::read_symlink(dev + "/" + link); }
};

TEST(LinkHotPluggedDisks, NamesThemByLunAsAColdBootWould) {
  FakeTree t;
  t.disk(0, "sdb", {1, 2});
  t.disk(1, "sda");
  std::ofstream(t.dev + "/vda") << "root";  // the template's root disk
  link_hot_plugged_disks(2, t.sys, t.dev, 1s);
  EXPECT_EQ(t.target("vda"), "sdb");
  EXPECT_EQ(t.target("vda1"), "sdb1");
  EXPECT_EQ(t.target("vda2"), "sdb2");
  EXPECT_EQ(t.target("vdb"), "sda");
  EXPECT_FALSE(fs::exists(t.dev + "/vdb1"));
  EXPECT_TRUE(fs::is_regular_file(t.dev + "/alfs-root")) << "the root disk's node moved out of the way";
}

TEST(LinkHotPluggedDisks, SaysWhichDiskNeverAppeared) {
  FakeTree t;
  t.disk(0, "sda");
  try {
    link_hot_plugged_disks(2, t.sys, t.dev, 50ms);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("disk 2 (SCSI LUN 1) did not appear"), std::string::npos) << e.what();
  }
}

TEST(RootNameClash, AnImageWhoseRootIsMountedAsVdaCannotBeSaved) {
  EXPECT_EQ(root_name_clash("/dev/alfs-root / ext4 ro,relatime 0 0\nproc /proc proc rw 0 0\n"), "");
  EXPECT_NE(root_name_clash("/dev/vda / ext4 ro,relatime 0 0\n").find("mounts its root as /dev/vda"),
            std::string::npos);
  EXPECT_EQ(root_name_clash("/dev/vda /mnt/disk ext4 rw 0 0\n"), "") << "a disk, not the root";
}

}  // namespace
}  // namespace alfs::guest
