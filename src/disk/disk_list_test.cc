#include "disk/disk_list.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/fd.h"
#include "common/temp_dir.h"
#include "disk/disk_ident.h"
#include "disk/test_disks.h"
#include "disk/volume.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using namespace test_disks;

constexpr uint64_t kSectorsPerMiB = kMiB / 512;

// A sysfs tree and a /dev directory in a temporary directory. Disks live under
// devices/<bus>/block/<name> and block/<name> links to them, as in the real sysfs;
// their "device nodes" in dev/ are image files (libblkid reads those the same way).
class FakeHost {
 public:
  HostPaths paths() const { return {dir_.file("sys"), dir_.file("dev")}; }
  std::string dev(const std::string& name) const { return dir_.file("dev/" + name); }

  fs::path add_disk(const std::string& name, uint64_t sectors, const std::string& bus = "pci0000:00/virtio1") {
    fs::path real = fs::path(dir_.file("sys/devices")) / bus / "block" / name;
    fs::create_directories(real);
    fs::create_directories(dir_.file("sys/block"));
    fs::create_directories(dir_.file("dev"));
    fs::create_directory_symlink(fs::path("../devices") / bus / "block" / name, dir_.file("sys/block/" + name));
    attribute(real / "size", std::to_string(sectors));
    attribute(real / "removable", "0");
    return real;
  }

  void add_partition(const fs::path& disk, const std::string& name, int number, uint64_t sectors) {
    fs::create_directories(disk / name);
    attribute(disk / name / "partition", std::to_string(number));
    attribute(disk / name / "size", std::to_string(sectors));
  }

  static void attribute(const fs::path& path, const std::string& value) {
    fs::create_directories(path.parent_path());
    write_file_atomic(path.string(), value + "\n");
  }

 private:
  TempDir dir_{"alfs-fake-host"};
};

std::vector<std::string> paths_of(const std::vector<ListedDisk>& disks) {
  std::vector<std::string> paths;
  for (const ListedDisk& d : disks) paths.push_back(d.path);
  return paths;
}

TEST(DiskListWithFakeSysfs, SkipsRamDisksIdleLoopsMapperMdOpticalAndEmptyDrives) {
  FakeHost host;
  for (const char* name : {"ram0", "zram0", "loop0", "dm-0", "md127", "sr0"}) host.add_disk(name, 2 * kSectorsPerMiB);
  host.add_disk("sdc", 0);  // a card reader without a card
  fs::path loop1 = host.add_disk("loop1", 2 * kSectorsPerMiB);
  FakeHost::attribute(loop1 / "loop" / "backing_file", "/var/tmp/disk.img");
  host.add_disk("vda", 2 * kSectorsPerMiB);
  make_sparse(host.dev("loop1"), 2 * kMiB);
  make_sparse(host.dev("vda"), 2 * kMiB);

  std::vector<ListedDisk> disks = list_host_disks(host.paths());
  ASSERT_EQ(paths_of(disks), (std::vector<std::string>{host.dev("loop1"), host.dev("vda")}));
  EXPECT_EQ(disks[0].kind, DiskKind::kImage);
  EXPECT_EQ(disks[0].backing_file, "/var/tmp/disk.img");
  EXPECT_EQ(disks[1].kind, DiskKind::kInternal);
  EXPECT_EQ(disks[1].backing_file, "");
  // Blank content: one whole-disk row of unknown type.
  EXPECT_EQ(disks[1].error, "");
  EXPECT_EQ(disks[1].volumes, (std::vector<ListedVolume>{{0, "", "", 2 * kMiB, host.dev("vda")}}));
}

TEST(DiskListWithFakeSysfs, RemovableOrUsbDisksAreExternal) {
  FakeHost host;
  fs::path card = host.add_disk("mmcblk0", kSectorsPerMiB);
  FakeHost::attribute(card / "removable", "1");
  host.add_disk("sda", kSectorsPerMiB, "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0");
  host.add_disk("sdb", kSectorsPerMiB, "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0");
  for (const char* name : {"mmcblk0", "sda", "sdb"}) make_sparse(host.dev(name), kMiB);

  std::vector<ListedDisk> disks = list_host_disks(host.paths());
  ASSERT_EQ(disks.size(), 3u);
  EXPECT_EQ(disks[0].kind, DiskKind::kExternal);  // mmcblk0
  EXPECT_EQ(disks[1].kind, DiskKind::kExternal);  // sda, on USB
  EXPECT_EQ(disks[2].kind, DiskKind::kInternal);  // sdb, on SATA
}

TEST(DiskListWithFakeSysfs, PartitionRowsAreNamedAfterTheKernelsNodes) {
  FakeHost host;
  fs::path sdb = host.add_disk("sdb", 20 * kSectorsPerMiB);
  host.add_partition(sdb, "sdb1", 1, 4 * kSectorsPerMiB);
  host.add_partition(sdb, "sdb2", 2, 4 * kSectorsPerMiB);
  make_gpt_image(host.dev("sdb"));
  RETURN_IF_NOT_SET_UP();

  std::vector<ListedDisk> disks = list_host_disks(host.paths());
  ASSERT_EQ(disks.size(), 1u);
  const ListedDisk& d = disks[0];
  EXPECT_EQ(d.path, host.dev("sdb"));
  EXPECT_EQ(d.scheme, "gpt");
  EXPECT_EQ(d.format, "raw");
  EXPECT_EQ(d.size_bytes, 20 * kMiB);
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.volumes, (std::vector<ListedVolume>{{1, "ext4", "p1label", 4 * kMiB, host.dev("sdb1")},
                                                  {2, "vfat", "P2", 4 * kMiB, host.dev("sdb2")}}));
}

TEST(DiskListWithFakeSysfs, PartitionsWithoutANodeAreNamedDiskAtSN) {
  FakeHost host;  // a loop device set up without partition scanning
  fs::path loop = host.add_disk("loop3", 20 * kSectorsPerMiB);
  FakeHost::attribute(loop / "loop" / "backing_file", "/var/tmp/gpt.img");
  make_gpt_image(host.dev("loop3"));
  RETURN_IF_NOT_SET_UP();

  std::vector<ListedDisk> disks = list_host_disks(host.paths());
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].kind, DiskKind::kImage);
  ASSERT_EQ(disks[0].volumes.size(), 2u);
  EXPECT_EQ(disks[0].volumes[0].identifier, host.dev("loop3") + "@s1");
  EXPECT_EQ(disks[0].volumes[1].identifier, host.dev("loop3") + "@s2");
}

TEST(DiskListWithFakeSysfs, AnUnreadableDiskKeepsItsSysfsStructureAndTheReason) {
  FakeHost host;  // no device nodes at all: the open fails as it does for a user without rights
  fs::path sda = host.add_disk("sda", 64 * kSectorsPerMiB);
  host.add_partition(sda, "sda1", 1, 16 * kSectorsPerMiB);
  host.add_partition(sda, "sda2", 2, 48 * kSectorsPerMiB);
  host.add_disk("sdb", 8 * kSectorsPerMiB);

  std::vector<ListedDisk> disks = list_host_disks(host.paths());
  ASSERT_EQ(disks.size(), 2u);
  EXPECT_EQ(disks[0].error, "cannot open " + host.dev("sda") + ": No such file or directory");
  EXPECT_EQ(disks[0].scheme, "");
  EXPECT_EQ(disks[0].size_bytes, 64 * kMiB);
  EXPECT_EQ(disks[0].volumes, (std::vector<ListedVolume>{{1, "", "", 16 * kMiB, host.dev("sda1")},
                                                         {2, "", "", 48 * kMiB, host.dev("sda2")}}));
  EXPECT_EQ(disks[1].error, "cannot open " + host.dev("sdb") + ": No such file or directory");
  EXPECT_EQ(disks[1].volumes, (std::vector<ListedVolume>{{0, "", "", 8 * kMiB, host.dev("sdb")}}));
}

TEST(DiskList, NamedImagesAreRowsOfThePathAsGiven) {
  TempDir dir("alfs-list");
  std::string gpt = dir.file("gpt.img"), whole = dir.file("whole.img"), missing = dir.file("missing.img");
  make_gpt_image(gpt);
  RETURN_IF_NOT_SET_UP();
  make_sparse(whole, 8 * kMiB);
  run({"mkfs.ext4", "-q", "-F", "-L", "whole", whole});
  RETURN_IF_NOT_SET_UP();

  std::vector<ListedDisk> disks = list_named_disks({gpt, missing, whole});
  ASSERT_EQ(paths_of(disks), (std::vector<std::string>{gpt, missing, whole}));
  for (const ListedDisk& d : disks) EXPECT_EQ(d.kind, DiskKind::kImage) << d.path;

  EXPECT_EQ(disks[0].scheme, "gpt");
  EXPECT_EQ(disks[0].size_bytes, 20 * kMiB);
  EXPECT_EQ(disks[0].volumes, (std::vector<ListedVolume>{{1, "ext4", "p1label", 4 * kMiB, gpt + "@s1"},
                                                         {2, "vfat", "P2", 4 * kMiB, gpt + "@s2"}}));

  EXPECT_EQ(disks[1].error, "cannot open " + missing + ": No such file or directory");
  EXPECT_TRUE(disks[1].volumes.empty());

  EXPECT_EQ(disks[2].scheme, "");
  EXPECT_EQ(disks[2].volumes, (std::vector<ListedVolume>{{0, "ext4", "whole", 8 * kMiB, whole}}));
}

TEST(DiskList, EveryIdentifierIsOneMountResolvesToTheListedFilesystem) {
  TempDir dir("alfs-list");
  std::string gpt = dir.file("gpt.img"), whole = dir.file("whole.img");
  make_gpt_image(gpt);
  RETURN_IF_NOT_SET_UP();
  make_sparse(whole, 8 * kMiB);
  run({"mkfs.ext4", "-q", "-F", whole});
  RETURN_IF_NOT_SET_UP();

  int checked = 0;
  for (const ListedDisk& d : list_named_disks({gpt, whole})) {
    for (const ListedVolume& v : d.volumes) {
      Volume mounted = resolve_volume(parse_disk_ident(v.identifier), "");
      EXPECT_EQ(mounted.fstype, v.type) << v.identifier;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

TEST(DiskList, MbrLogicalPartitionsKeepTheirNumbers) {
  TempDir dir("alfs-list");
  std::string mbr = dir.file("mbr.img");
  make_sparse(mbr, 20 * kMiB);
  partition(mbr,
            "label: dos\n"
            "start=2048, size=8192, type=83\n"
            "start=10240, size=20480, type=5\n"
            "start=12288, size=8192, type=83\n");
  RETURN_IF_NOT_SET_UP();
  run({"mkfs.ext4", "-q", "-F", "-L", "logical", "-E", "offset=" + std::to_string(12288 * 512), mbr, "4M"});
  RETURN_IF_NOT_SET_UP();

  std::vector<ListedDisk> disks = list_named_disks({mbr});
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].scheme, "dos");
  EXPECT_EQ(disks[0].volumes, (std::vector<ListedVolume>{{1, "", "", 4 * kMiB, mbr + "@s1"},
                                                         {5, "ext4", "logical", 4 * kMiB, mbr + "@s5"}}));
}

TEST(DiskList, Qcow2ShowsItsVirtualSizeAndNoRows) {
  TempDir dir("alfs-list");
  std::string image = dir.file("disk.qcow2");
  run({"qemu-img", "create", "-q", "-f", "qcow2", image, "64M"});
  RETURN_IF_NOT_SET_UP();

  std::vector<ListedDisk> disks = list_named_disks({image});
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].error, "");
  EXPECT_EQ(disks[0].format, "qcow2");
  EXPECT_EQ(disks[0].size_bytes, 64 * kMiB);
  EXPECT_TRUE(disks[0].volumes.empty());
}

TEST(DiskList, WhatIsNotADiskIsAnErrorOnThatDisk) {
  TempDir dir("alfs-list");
  std::vector<ListedDisk> disks = list_named_disks({dir.path(), "/dev/null"});
  ASSERT_EQ(disks.size(), 2u);
  EXPECT_EQ(disks[0].error, dir.path() + " is a directory, not a disk or disk image");
  EXPECT_EQ(disks[1].error, "/dev/null is a character device, not a disk or disk image");
}

TEST(ListFilter, DefaultShowsAllButMicrosoftAndSwap) {
  for (const char* type : {"ext4", "btrfs", "xfs", "crypto_LUKS", "LVM2_member", "zfs_member", "hfsplus", ""})
    EXPECT_TRUE(is_shown(type, ListFilter::kDefault)) << type;
  for (const char* type : {"ntfs", "exfat", "vfat", "BitLocker", "swap"})
    EXPECT_FALSE(is_shown(type, ListFilter::kDefault)) << type;
}

TEST(ListFilter, LinuxOnlyIsLinuxFilesystemsAndContainers) {
  for (const char* type : {"ext2", "ext3", "ext4", "btrfs", "xfs", "f2fs", "jfs", "reiserfs", "nilfs2", "crypto_LUKS",
                           "LVM2_member", "linux_raid_member", "zfs_member"})
    EXPECT_TRUE(is_shown(type, ListFilter::kLinux)) << type;
  for (const char* type : {"vfat", "ntfs", "hfsplus", "swap", ""})
    EXPECT_FALSE(is_shown(type, ListFilter::kLinux)) << type;
}

TEST(ListFilter, MicrosoftOnlyIsNtfsExfatFatAndBitLocker) {
  for (const char* type : {"ntfs", "exfat", "vfat", "BitLocker"})
    EXPECT_TRUE(is_shown(type, ListFilter::kMicrosoft)) << type;
  for (const char* type : {"ext4", "crypto_LUKS", ""}) EXPECT_FALSE(is_shown(type, ListFilter::kMicrosoft)) << type;
}

TEST(FilterDisks, DropsHiddenRowsThenDisksLeftEmptyUnlessNamedOrFailed) {
  ListedDisk windows{.path = "/dev/sda",
                     .scheme = "gpt",
                     .volumes = {{1, "vfat", "EFI", 1, "/dev/sda1"}, {2, "ntfs", "C", 2, "/dev/sda2"}}};
  ListedDisk linux_disk{.path = "/dev/sdb",
                        .scheme = "dos",
                        .volumes = {{1, "ext4", "root", 3, "/dev/sdb1"}, {2, "swap", "", 4, "/dev/sdb2"}}};
  ListedDisk failed{.path = "/dev/sdc", .error = "cannot open /dev/sdc: Permission denied"};

  std::vector<ListedDisk> shown = filter_disks({windows, linux_disk, failed}, ListFilter::kDefault, false);
  ASSERT_EQ(paths_of(shown), (std::vector<std::string>{"/dev/sdb", "/dev/sdc"}));
  EXPECT_EQ(shown[0].volumes, (std::vector<ListedVolume>{{1, "ext4", "root", 3, "/dev/sdb1"}}));

  shown = filter_disks({windows, linux_disk}, ListFilter::kMicrosoft, false);
  ASSERT_EQ(paths_of(shown), std::vector<std::string>{"/dev/sda"});
  EXPECT_EQ(shown[0].volumes.size(), 2u);

  shown = filter_disks({windows, linux_disk}, ListFilter::kLinux, true);
  ASSERT_EQ(paths_of(shown), (std::vector<std::string>{"/dev/sda", "/dev/sdb"}));
  EXPECT_TRUE(shown[0].volumes.empty());
}

}  // namespace
}  // namespace alfs
