#include "disk/disk_list_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace alfs {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// Recorded from `list` runs: a USB disk, images (GPT, MBR with a logical partition, a
// whole-disk filesystem, qcow2), a disk the user could not read, and the synthetic disks
// that LVM and RAID will add.
std::vector<ListedDisk> recorded_disks() {
  return {
      {.path = "/dev/sdb",
       .kind = DiskKind::kExternal,
       .scheme = "gpt",
       .size_bytes = 128035676160,
       .volumes = {{1, "ext4", "mydata", 64017841664, "/dev/sdb1"},
                   {2, "btrfs", "a label longer than the column", 64016760832, "/dev/sdb2"}}},
      {.path = "/var/tmp/mbr.img",
       .kind = DiskKind::kImage,
       .scheme = "dos",
       .size_bytes = 100 * kMiB,
       .volumes = {{1, "ext4", "boot", 50 * kMiB, "/var/tmp/mbr.img@s1"},
                   {5, "crypto_LUKS", "", 40 * kMiB, "/var/tmp/mbr.img@s5"}}},
      {.path = "whole.img",
       .kind = DiskKind::kImage,
       .size_bytes = 64 * kMiB,
       .volumes = {{0, "ext4", "étiquette", 64 * kMiB, "whole.img"}}},
      {.path = "vm.qcow2", .kind = DiskKind::kImage, .format = "qcow2", .size_bytes = 10737418240},
      {.path = "/dev/loop0",
       .kind = DiskKind::kImage,
       .size_bytes = 16 * kMiB,
       .backing_file = "/var/tmp/whole.img",
       .volumes = {{0, "xfs", "", 16 * kMiB, "/dev/loop0"}}},
      {.path = "/dev/nvme0n1",
       .kind = DiskKind::kInternal,
       .size_bytes = 512110190592,
       .error = "cannot open /dev/nvme0n1: Permission denied",
       .volumes = {{1, "", "", 536870912, "/dev/nvme0n1p1"}}},
      {.path = "/dev/sdc", .kind = DiskKind::kInternal, .error = "cannot open /dev/sdc: No medium found"},
      {.path = "lvm:vg0",
       .kind = DiskKind::kVolumeGroup,
       .scheme = "LVM2_scheme",
       .size_bytes = 200 * kMiB,
       .volumes = {{1, "ext4", "home", 100 * kMiB, "lvm:vg0:/dev/sdb1:home"}}},
      {.path = "raid:/dev/sdd1:/dev/sde1",
       .kind = DiskKind::kVolume,
       .volumes = {{0, "ext4", "array", 1000000000, "raid:/dev/sdd1:/dev/sde1"}}},
  };
}

TEST(FormatSize, DecimalUnitsWithOneDecimal) {
  EXPECT_EQ(format_size(0), "0.0 B");
  EXPECT_EQ(format_size(512), "512.0 B");
  EXPECT_EQ(format_size(1000), "1.0 KB");
  EXPECT_EQ(format_size(999949), "999.9 KB");
  EXPECT_EQ(format_size(999999), "1.0 MB");  // not "1000.0 KB"
  EXPECT_EQ(format_size(20 * kMiB), "21.0 MB");
  EXPECT_EQ(format_size(128035676160), "128.0 GB");
  EXPECT_EQ(format_size(4000787030016), "4.0 TB");
}

TEST(FormatTable, RecordedDisksInDiskutilLayout) {
  EXPECT_EQ(format_table(recorded_disks()), R"(/dev/sdb (external, physical):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:      GUID_partition_scheme                        *128.0 GB   /dev/sdb
   1:                       ext4 mydata                  64.0 GB    /dev/sdb1
   2:                      btrfs a label longer than ... 64.0 GB    /dev/sdb2

/var/tmp/mbr.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:     FDisk_partition_scheme                        +104.9 MB   /var/tmp/mbr.img
   1:                       ext4 boot                    52.4 MB    /var/tmp/mbr.img@s1
   5:                crypto_LUKS                         41.9 MB    /var/tmp/mbr.img@s5

whole.img (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                       ext4 étiquette              +67.1 MB    whole.img

vm.qcow2 (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                      qcow2                        +10.7 GB    vm.qcow2

/dev/loop0 (disk image):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                        xfs                        +16.8 MB    /dev/loop0

/dev/nvme0n1 (internal, physical):
   error: cannot open /dev/nvme0n1: Permission denied
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   1:                                                    536.9 MB   /dev/nvme0n1p1

/dev/sdc (internal, physical):
   error: cannot open /dev/sdc: No medium found

lvm:vg0 (volume group):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                LVM2_scheme                        +209.7 MB   lvm:vg0
   1:                       ext4 home                    104.9 MB   lvm:vg0:/dev/sdb1:home

raid:/dev/sdd1:/dev/sde1 (volume):
   #:                       TYPE NAME                    SIZE       IDENTIFIER
   0:                       ext4 array                  +1.0 GB     raid:/dev/sdd1:/dev/sde1
)");
}

TEST(FormatTable, NothingToListPrintsNothing) { EXPECT_EQ(format_table({}), ""); }

TEST(FormatJson, RecordedDisks) {
  std::vector<ListedDisk> disks = recorded_disks();
  // The partitioned USB disk, the loop device, the unreadable disk and the qcow2 image.
  auto expected = nlohmann::ordered_json::parse(R"({"disks": [
    {"path": "/dev/sdb", "kind": "external", "format": "raw", "scheme": "gpt", "size_bytes": 128035676160,
     "volumes": [
       {"index": 1, "type": "ext4", "name": "mydata", "size_bytes": 64017841664, "identifier": "/dev/sdb1"},
       {"index": 2, "type": "btrfs", "name": "a label longer than the column", "size_bytes": 64016760832,
        "identifier": "/dev/sdb2"}]},
    {"path": "/dev/loop0", "kind": "image", "format": "raw", "scheme": null, "size_bytes": 16777216,
     "backing_file": "/var/tmp/whole.img",
     "volumes": [{"index": 0, "type": "xfs", "name": "", "size_bytes": 16777216, "identifier": "/dev/loop0"}]},
    {"path": "/dev/nvme0n1", "kind": "internal", "format": "raw", "scheme": null, "size_bytes": 512110190592,
     "error": "cannot open /dev/nvme0n1: Permission denied",
     "volumes": [{"index": 1, "type": null, "name": "", "size_bytes": 536870912, "identifier": "/dev/nvme0n1p1"}]},
    {"path": "vm.qcow2", "kind": "image", "format": "qcow2", "scheme": null, "size_bytes": 10737418240, "volumes": []}
  ]})");
  EXPECT_EQ(nlohmann::ordered_json::parse(format_json({disks[0], disks[4], disks[5], disks[3]})), expected);
  EXPECT_EQ(nlohmann::ordered_json::parse(format_json({disks[7]}))["disks"][0]["kind"], "volume_group");
  EXPECT_EQ(nlohmann::ordered_json::parse(format_json({disks[8]}))["disks"][0]["kind"], "volume");
}

TEST(FormatJson, NothingToListIsAnEmptyArray) { EXPECT_EQ(format_json({}), "{\n  \"disks\": []\n}\n"); }

}  // namespace
}  // namespace alfs
