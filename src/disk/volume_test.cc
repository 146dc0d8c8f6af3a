#include "disk/volume.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;

void sh(const std::string& script) {
  RunResult r = run_command({"sh", "-c", "PATH=$PATH:/usr/sbin:/sbin; " + script}, 60s);
  ASSERT_TRUE(r.ok()) << script << ": " << r.output;
}

TEST(GuestDeviceName, DisksInOrderAndTheirPartitions) {
  EXPECT_EQ(guest_device_name(0, 0), "/dev/vda");
  EXPECT_EQ(guest_device_name(1, 2), "/dev/vdb2");
  EXPECT_EQ(guest_device_name(25, 0), "/dev/vdz");
  EXPECT_EQ(guest_device_name(26, 1), "/dev/vdaa1");
}

TEST(ResolveVolume, AWholeDiskWithAPartitionTableListsItsPartitions) {
  TempDir dir("alfs-volume");
  std::string img = dir.file("disk.img");
  sh("truncate -s 64M " + img + " && printf 'label: gpt\\nsize=20M, name=root\\nsize=20M\\n' | sfdisk -q " + img +
     " && truncate -s 20M " + dir.file("p1") + " && mkfs.ext4 -q -L rootfs " + dir.file("p1") +
     " && dd if=" + dir.file("p1") + " of=" + img + " bs=1M seek=1 conv=notrunc status=none");
  try {
    resolve_volume(parse_disk_ident(img), "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              img + " holds a gpt partition table, not a filesystem: mount one of its partitions: " + img +
                  "@s1 (ext4 \"rootfs\", 20.0 MiB), " + img + "@s2 (unknown, 20.0 MiB)");
  }
  Volume v = resolve_volume(parse_disk_ident(img + "@s1"), "");
  EXPECT_EQ(v.guest_devices, std::vector<std::string>{"/dev/vda1"});
  EXPECT_EQ(v.fstype, "ext4");
  EXPECT_EQ(v.name, "rootfs");
}

TEST(ResolveVolume, SeveralDisksAreAttachedInOrder) {
  TempDir dir("alfs-volume");
  sh("truncate -s 16M " + dir.file("a.img") + " " + dir.file("b.img") + " && mkfs.ext4 -q " + dir.file("a.img"));
  Volume v = resolve_volume(parse_disk_ident(dir.file("a.img") + ":" + dir.file("b.img")), "");
  ASSERT_EQ(v.disks.size(), 2u);
  EXPECT_EQ(v.disks[1].path, dir.file("b.img"));
  EXPECT_EQ(v.guest_devices, (std::vector<std::string>{"/dev/vda", "/dev/vdb"}));
  EXPECT_EQ(v.name, "a");
}

TEST(ResolveVolume, Qcow2IsLeftToTheGuestToProbe) {
  TempDir dir("alfs-volume");
  sh("qemu-img create -q -f qcow2 " + dir.file("d.qcow2") + " 64M");
  Volume v = resolve_volume(parse_disk_ident(dir.file("d.qcow2") + "@s2"), "");
  EXPECT_EQ(v.disks[0].format, "qcow2");
  EXPECT_EQ(v.guest_devices[0], "/dev/vda2");
  EXPECT_EQ(v.fstype, "");
  EXPECT_EQ(v.name, "d");
}

TEST(ResolveVolume, NoFilesystemIsAnErrorUnlessATypeIsGiven) {
  TempDir dir("alfs-volume");
  sh("head -c 1M /dev/urandom > " + dir.file("r.img"));
  EXPECT_THROW(resolve_volume(parse_disk_ident(dir.file("r.img")), ""), Error);
  EXPECT_NO_THROW(resolve_volume(parse_disk_ident(dir.file("r.img")), "ext4"));
}

}  // namespace
}  // namespace alfs
