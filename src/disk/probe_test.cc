#include "disk/probe.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"
#include "disk/test_disks.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using namespace test_disks;

TEST(Probe, MissingFile) {
  TempDir dir;
  std::string path = dir.file("disk.img");
  EXPECT_EQ(error_of([&] { probe_path(path); }), "cannot open " + path + ": No such file or directory");
}

TEST(Probe, Directory) {
  TempDir dir;
  std::string path = dir.file("disk.img");
  fs::create_directory(path);
  EXPECT_EQ(error_of([&] { probe_path(path); }), path + " is a directory, not a disk or disk image");
}

TEST(Probe, EmptyFile) {
  TempDir dir;
  std::string path = dir.file("disk.img");
  make_sparse(path, 0);
  EXPECT_EQ(error_of([&] { probe_path(path); }), path + " is empty");
  EXPECT_EQ(error_of([&] { list_partitions(path); }), path + " is empty");
}

TEST(Probe, NotADiskFile) {
  EXPECT_EQ(error_of([] { probe_path("/dev/null"); }), "/dev/null is a character device, not a disk or disk image");
  TempDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Must not block waiting for a writer.
  EXPECT_EQ(error_of([&] { probe_path(fifo); }), fifo + " is a FIFO, not a disk or disk image");
}

TEST(Probe, UnknownContentIsNotAnError) {
  TempDir dir;
  std::string path = dir.file("zeros.img");
  make_sparse(path, 3 * kMiB);
  ProbeResult r = probe_path(path);
  EXPECT_EQ(r.fstype, "");
  EXPECT_EQ(r.part_table, "");
  EXPECT_EQ(r.size_bytes, 3 * kMiB);
  EXPECT_FALSE(r.ambivalent);
  EXPECT_TRUE(list_partitions(path).empty());
}

TEST(Probe, Ext4Image) {
  TempDir dir;
  std::string path = dir.file("disk.img");
  make_sparse(path, 8 * kMiB);
  run({"mkfs.ext4", "-q", "-F", "-L", "mylabel", "-U", "0b0e5a8c-3f4e-4a55-9d41-0c6f7cb0b1a2", path});
  RETURN_IF_NOT_SET_UP();
  ProbeResult r = probe_path(path);
  EXPECT_EQ(r.fstype, "ext4");
  EXPECT_EQ(r.label, "mylabel");
  EXPECT_EQ(r.uuid, "0b0e5a8c-3f4e-4a55-9d41-0c6f7cb0b1a2");
  EXPECT_EQ(r.part_table, "");
  EXPECT_EQ(r.size_bytes, 8 * kMiB);
  EXPECT_EQ(error_of([&] { probe_partition(path, 1); }), path + " has no partition table");
}

TEST(Probe, FatImage) {
  TempDir dir;
  std::string path = dir.file("fat.img");
  make_sparse(path, 8 * kMiB);
  run({"mkfs.vfat", "-n", "MYFAT", "-i", "1234abcd", path});
  RETURN_IF_NOT_SET_UP();
  ProbeResult r = probe_path(path);
  EXPECT_EQ(r.fstype, "vfat");
  EXPECT_EQ(r.label, "MYFAT");
  EXPECT_EQ(r.uuid, "1234-ABCD");
  // A FAT boot sector looks like an MBR; it must not be taken for a partition table.
  EXPECT_EQ(r.part_table, "");
  EXPECT_TRUE(list_partitions(path).empty());
}

TEST(Probe, GptImage) {
  TempDir dir;
  std::string path = dir.file("gpt.img");
  make_gpt_image(path);
  RETURN_IF_NOT_SET_UP();

  ProbeResult whole = probe_path(path);
  EXPECT_EQ(whole.part_table, "gpt");
  EXPECT_EQ(whole.fstype, "");
  EXPECT_EQ(whole.size_bytes, 20 * kMiB);

  std::vector<PartitionInfo> parts = list_partitions(path);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].number, 1);
  EXPECT_EQ(parts[0].start_bytes, 1 * kMiB);
  EXPECT_EQ(parts[0].size_bytes, 4 * kMiB);
  EXPECT_EQ(parts[0].type, kLinuxFsGuid);
  EXPECT_EQ(parts[0].name, "root");
  EXPECT_EQ(parts[0].content.fstype, "ext4");
  EXPECT_EQ(parts[0].content.label, "p1label");
  EXPECT_EQ(parts[0].content.size_bytes, 4 * kMiB);
  EXPECT_EQ(parts[1].number, 2);
  EXPECT_EQ(parts[1].start_bytes, 5 * kMiB);
  EXPECT_EQ(parts[1].type, kBasicDataGuid);
  EXPECT_EQ(parts[1].content.fstype, "vfat");
  EXPECT_EQ(parts[1].content.label, "P2");

  PartitionInfo second = probe_partition(path, 2);
  EXPECT_EQ(second.start_bytes, 5 * kMiB);
  EXPECT_EQ(second.content.fstype, "vfat");
  EXPECT_EQ(error_of([&] { probe_partition(path, 3); }), path + " has no partition 3 (it has 2: s1, s2)");
}

TEST(Probe, MbrImageWithLogicalPartition) {
  TempDir dir;
  std::string path = dir.file("mbr.img");
  make_sparse(path, 20 * kMiB);
  partition(path,
            "label: dos\n"
            "start=2048, size=8192, type=83\n"
            "start=10240, size=20480, type=5\n"
            "start=12288, size=8192, type=83\n");
  RETURN_IF_NOT_SET_UP();
  run({"mkfs.ext4", "-q", "-F", "-L", "logical", "-E", "offset=" + std::to_string(12288 * 512), path, "4M"});
  RETURN_IF_NOT_SET_UP();

  EXPECT_EQ(probe_path(path).part_table, "dos");
  std::vector<PartitionInfo> parts = list_partitions(path);
  ASSERT_EQ(parts.size(), 2u);  // the extended container is left out
  EXPECT_EQ(parts[0].number, 1);
  EXPECT_EQ(parts[0].type, "0x83");
  EXPECT_EQ(parts[0].content.fstype, "");
  EXPECT_EQ(parts[1].number, 5);
  EXPECT_EQ(parts[1].start_bytes, 12288u * 512);
  EXPECT_EQ(parts[1].content.fstype, "ext4");
  EXPECT_EQ(parts[1].content.label, "logical");

  EXPECT_EQ(probe_partition(path, 5).content.label, "logical");
  EXPECT_EQ(error_of([&] { probe_partition(path, 2); }), path + " has no partition 2 (it has 2: s1, s5)");
}

TEST(Probe, EmptyPartitionTable) {
  TempDir dir;
  std::string path = dir.file("empty-gpt.img");
  make_sparse(path, 4 * kMiB);
  partition(path, "label: gpt\n");
  RETURN_IF_NOT_SET_UP();
  EXPECT_EQ(probe_path(path).part_table, "gpt");
  EXPECT_TRUE(list_partitions(path).empty());
  EXPECT_EQ(error_of([&] { probe_partition(path, 1); }), path + " has no partition 1 (its partition table is empty)");
}

TEST(Probe, PartitionPastTheEndOfATruncatedImage) {
  TempDir dir;
  std::string path = dir.file("cut.img");
  make_sparse(path, 20 * kMiB);
  partition(path,
            "label: dos\n"
            "start=2048, size=8192, type=83\n"
            "start=10240, size=20480, type=83\n");
  RETURN_IF_NOT_SET_UP();
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(8 * kMiB)), 0);

  std::vector<PartitionInfo> parts = list_partitions(path);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].size_bytes, 10 * kMiB);
  EXPECT_EQ(probe_partition(path, 1).size_bytes, 4 * kMiB);
  EXPECT_EQ(error_of([&] { probe_partition(path, 2); }),
            "partition 2 of " + path + " runs past the end of the image (it ends at byte 15728640, the image has " +
                std::to_string(8 * kMiB) + " bytes)");
}

TEST(Probe, SeveralSignaturesAreAmbivalent) {
  TempDir dir;
  std::string fat = dir.file("fat.img");
  std::string path = dir.file("both.img");
  make_sparse(fat, 8 * kMiB);
  make_sparse(path, 8 * kMiB);
  run({"mkfs.vfat", "-n", "FAT", fat});
  RETURN_IF_NOT_SET_UP();
  run({"mkfs.ext4", "-q", "-F", "-L", "ext", path});
  RETURN_IF_NOT_SET_UP();
  // ext4 leaves its first 1 KiB alone: a FAT boot sector copied there makes the image
  // carry both signatures.
  std::string boot = read_file(fat).substr(0, 1024);
  UniqueFd fd = open_file(path, O_WRONLY);
  ASSERT_EQ(::pwrite(fd.get(), boot.data(), boot.size(), 0), static_cast<ssize_t>(boot.size()));
  fd.reset();

  ProbeResult r = probe_path(path);
  EXPECT_TRUE(r.ambivalent);
  EXPECT_EQ(r.fstype, "");
}

}  // namespace
}  // namespace alfs
