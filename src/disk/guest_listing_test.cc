#include "disk/guest_listing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "disk/disk_list_format.h"

namespace alfs {
namespace {

using nlohmann::json;

ListedDisk image(const std::string& path, const std::string& type, int index = 0) {
  ListedDisk d;
  d.path = path;
  d.kind = DiskKind::kImage;
  d.size_bytes = 209715200;
  d.volumes.push_back({index, type, "", 209715200, index == 0 ? path : path + "@s" + std::to_string(index)});
  return d;
}

// As guest/inspector.h reports it for: an LVM PV (vda, two LVs), a RAID1 pair
// (vdb, vdc), LVM on LUKS (vdd): recorded in a guest, sizes kept.
json report() {
  return json::parse(R"({"type":"inspected","devices":[
    {"path":"/dev/vda","kind":"disk","size":209715200,"parents":[],"fstype":"LVM2_member","label":""},
    {"path":"/dev/mapper/vgt-one","kind":"lvm","size":62914560,"parents":["/dev/vda"],"fstype":"ext4","label":"lvone"},
    {"path":"/dev/mapper/vgt-two","kind":"lvm","size":62914560,"parents":["/dev/vda"],"fstype":"xfs","label":"lvtwo"},
    {"path":"/dev/vdb","kind":"disk","size":209715200,"parents":[],"fstype":"linux_raid_member","label":"x:0"},
    {"path":"/dev/md0","kind":"raid1","size":208666624,"parents":["/dev/vdb","/dev/vdc"],"fstype":"ext4","label":"raidfs"},
    {"path":"/dev/vdc","kind":"disk","size":209715200,"parents":[],"fstype":"linux_raid_member","label":"x:0"},
    {"path":"/dev/vdd","kind":"disk","size":209715200,"parents":[],"fstype":"crypto_LUKS","label":""},
    {"path":"/dev/mapper/alfs-vdd","kind":"crypt","size":192937984,"parents":["/dev/vdd"],"fstype":"LVM2_member","label":""},
    {"path":"/dev/mapper/vgc-inner","kind":"lvm","size":41943040,"parents":["/dev/mapper/alfs-vdd"],"fstype":"ext4","label":"innerfs"}],
   "volumes":[{"vg":"vgc","lv":"inner","device":"/dev/mapper/vgc-inner"},
              {"vg":"vgt","lv":"one","device":"/dev/mapper/vgt-one"},
              {"vg":"vgt","lv":"two","device":"/dev/mapper/vgt-two"}],
   "errors":[]})");
}

TEST(GuestListing, VolumeGroupsAndArraysBecomeDisksWithMountableIdentifiers) {
  std::vector<ListedDisk> disks = {image("pv.img", "LVM2_member"), image("r1.img", "linux_raid_member"),
                                   image("r2.img", "linux_raid_member"), image("luks.img", "crypto_LUKS")};
  EXPECT_TRUE(apply_inspection(disks, {0, 1, 2, 3}, report()).empty());
  std::vector<ListedDisk> synthetic(disks.begin() + 4, disks.end());
  EXPECT_EQ(format_table(synthetic),
            "raid:r1.img:r2.img (volume):\n"
            "   #:                       TYPE NAME                    SIZE       IDENTIFIER\n"
            "   0:                       ext4 raidfs                 +208.7 MB   raid:r1.img:r2.img\n"
            "\n"
            "lvm:vgc (volume group):\n"
            "   #:                       TYPE NAME                    SIZE       IDENTIFIER\n"
            "   1:                       ext4 innerfs                 41.9 MB    lvm:vgc:luks.img:inner\n"
            "\n"
            "lvm:vgt (volume group):\n"
            "   #:                       TYPE NAME                    SIZE       IDENTIFIER\n"
            "   1:                       ext4 lvone                   62.9 MB    lvm:vgt:pv.img:one\n"
            "   2:                        xfs lvtwo                   62.9 MB    lvm:vgt:pv.img:two\n");
  // -d: the opened container says what it holds.
  EXPECT_EQ(disks[3].volumes[0].inside_type, "LVM2_member");
}

TEST(GuestListing, PartitionMembersAndAVolumeGroupOverTwoDisks) {
  // vda2 and vdb1 are the PVs of one VG.
  json r = json::parse(R"({"devices":[
    {"path":"/dev/mapper/big-data","kind":"lvm","size":100,"parents":["/dev/vda2","/dev/vdb1"],"fstype":"btrfs","label":"d"}],
   "volumes":[{"vg":"big","lv":"data","device":"/dev/mapper/big-data"}],
   "errors":[{"device":"/dev/vdb","message":"/dev/vdb: No key available with this passphrase."},
             {"device":"","message":"vgchange: something general"}]})");
  std::vector<ListedDisk> disks = {image("a.img", "LVM2_member", 2), image("/dev/sdc", "LVM2_member", 1)};
  disks[1].volumes[0].identifier = "/dev/sdc1";
  auto warnings = apply_inspection(disks, {0, 1}, r);
  EXPECT_EQ(warnings, std::vector<std::string>{"vgchange: something general"});
  EXPECT_EQ(disks[1].error, "/dev/sdc: No key available with this passphrase.");
  ASSERT_EQ(disks.size(), 3u);
  EXPECT_EQ(disks[2].volumes[0].identifier, "lvm:big:a.img@s2:/dev/sdc1:data");
}

// Found by fuzz/listing_fuzz.cc: a report field of the wrong type (or a float where a
// size goes) escaped as a JSON exception, "unexpected error" for `list`.
TEST(GuestListing, AMalformedReportIsAnErrorAndChangesNothing) {
  for (const char* text :
       {R"({"devices":[{"path":["/dev/vda"]}]})", R"({"devices":[{"path":"/dev/vda","size":1.5e300}]})",
        R"({"devices":[0]})", R"({"errors":{"device":"/dev/vda"}})", R"({"volumes":[{"vg":7}]})", R"([])"}) {
    std::vector<ListedDisk> disks = {image("a.img", "ext4")};
    std::vector<ListedDisk> before = disks;
    try {
      apply_inspection(disks, {0}, json::parse(text));
      FAIL() << "expected an error for " << text;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), ::testing::StartsWith("malformed report from the guest: ")) << text;
    }
    ASSERT_EQ(disks.size(), 1u);
    EXPECT_EQ(disks[0].volumes, before[0].volumes);
    EXPECT_EQ(disks[0].error, "");
  }
}

// Found with the fuzzer's: a partition number too big for an int threw std::out_of_range.
TEST(GuestListing, AHugePartitionNumberIsNoHostDevice) {
  std::vector<ListedDisk> disks = {image("a.img", "ext4")};
  json r = json::parse(R"({"errors":[{"device":"/dev/vda99999999999","message":"odd"}]})");
  EXPECT_EQ(apply_inspection(disks, {0}, r), std::vector<std::string>{"odd"});
  EXPECT_EQ(disks[0].error, "");
}

// Found by fuzz/listing_fuzz.cc: an array without members was listed as "raid:", which
// `mount` refuses.
TEST(GuestListing, AnArrayWithoutMembersIsAWarning) {
  std::vector<ListedDisk> disks = {image("a.img", "linux_raid_member")};
  json r = json::parse(R"({"devices":[{"path":"/dev/md0","kind":"raid1","size":100,"parents":[]}]})");
  EXPECT_EQ(apply_inspection(disks, {0}, r),
            std::vector<std::string>{"RAID array /dev/md0 is on devices that cannot be named from the host"});
  EXPECT_EQ(disks.size(), 1u);
}

// Found writing fuzz/listing_fuzz.cc: opened mappings that are each other's source sent
// the naming of an array's members into endless recursion (a stack overflow).
TEST(GuestListing, ACycleOfMappingsNamesNothing) {
  std::vector<ListedDisk> disks = {image("a.img", "crypto_LUKS")};
  json r = json::parse(R"({"devices":[
    {"path":"/dev/mapper/x","kind":"crypt","size":100,"parents":["/dev/mapper/y"]},
    {"path":"/dev/mapper/y","kind":"crypt","size":100,"parents":["/dev/mapper/x"]},
    {"path":"/dev/md0","kind":"raid1","size":100,"parents":["/dev/mapper/x"]}]})");
  EXPECT_EQ(apply_inspection(disks, {0}, r),
            std::vector<std::string>{"RAID array /dev/md0 is on devices that cannot be named from the host"});
}

}  // namespace
}  // namespace alfs
