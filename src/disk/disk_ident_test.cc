#include "disk/disk_ident.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

using ::testing::HasSubstr;
using Kind = DiskIdent::Kind;

std::string error_of(std::string_view text) {
  try {
    parse_disk_ident(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DiskIdent, SingleDeviceAndImage) {
  DiskIdent dev = parse_disk_ident("/dev/sdb1");
  EXPECT_EQ(dev.kind, Kind::kSingle);
  EXPECT_EQ(dev.disks, (std::vector<DiskRef>{{"/dev/sdb1", 0}}));
  EXPECT_EQ(dev.text, "/dev/sdb1");

  DiskIdent img = parse_disk_ident("images/disk.img");
  EXPECT_EQ(img.kind, Kind::kSingle);
  EXPECT_EQ(img.disks, (std::vector<DiskRef>{{"images/disk.img", 0}}));
}

TEST(DiskIdent, ImagePartition) {
  DiskIdent id = parse_disk_ident("disk.img@s12");
  EXPECT_EQ(id.kind, Kind::kSingle);
  EXPECT_EQ(id.disks, (std::vector<DiskRef>{{"disk.img", 12}}));
}

TEST(DiskIdent, AtSignsElsewhereArePartOfThePath) {
  EXPECT_EQ(parse_disk_ident("backups@server/disk.img").disks[0], (DiskRef{"backups@server/disk.img", 0}));
  EXPECT_EQ(parse_disk_ident("snap@sunday/disk.img").disks[0], (DiskRef{"snap@sunday/disk.img", 0}));
  EXPECT_EQ(parse_disk_ident("disk@2.img").disks[0], (DiskRef{"disk@2.img", 0}));
  EXPECT_EQ(parse_disk_ident("a@b@s3").disks[0], (DiskRef{"a@b", 3}));
}

TEST(DiskIdent, MultiDevice) {
  DiskIdent id = parse_disk_ident("/dev/sdb1:/dev/sdc1:img@s2");
  EXPECT_EQ(id.kind, Kind::kMulti);
  EXPECT_EQ(id.disks, (std::vector<DiskRef>{{"/dev/sdb1", 0}, {"/dev/sdc1", 0}, {"img", 2}}));
}

TEST(DiskIdent, Lvm) {
  DiskIdent one = parse_disk_ident("lvm:vg0:/dev/sdb:root");
  EXPECT_EQ(one.kind, Kind::kLvm);
  EXPECT_EQ(one.vg, "vg0");
  EXPECT_EQ(one.lv, "root");
  EXPECT_EQ(one.disks, (std::vector<DiskRef>{{"/dev/sdb", 0}}));

  DiskIdent many = parse_disk_ident("lvm:data-vg:a.img@s1:b.img:home_lv");
  EXPECT_EQ(many.vg, "data-vg");
  EXPECT_EQ(many.lv, "home_lv");
  EXPECT_EQ(many.disks, (std::vector<DiskRef>{{"a.img", 1}, {"b.img", 0}}));
}

TEST(DiskIdent, Raid) {
  DiskIdent id = parse_disk_ident("raid:/dev/sdb1:/dev/sdc1");
  EXPECT_EQ(id.kind, Kind::kRaid);
  EXPECT_EQ(id.disks, (std::vector<DiskRef>{{"/dev/sdb1", 0}, {"/dev/sdc1", 0}}));

  DiskIdent single = parse_disk_ident("raid:disk.img@s2");
  EXPECT_EQ(single.disks, (std::vector<DiskRef>{{"disk.img", 2}}));
}

TEST(DiskIdent, RoundTrip) {
  for (const char* text :
       {"/dev/sdb1", "disk.img", "disk.img@s2", "/dev/sdb1:/dev/sdc1", "a@s1:b@s2", "lvm:vg:/dev/sdb:lv",
        "lvm:vg:a.img@s1:b.img:lv", "raid:/dev/sdb1", "raid:x.img@s1:y.img@s1"}) {
    DiskIdent id = parse_disk_ident(text);
    EXPECT_EQ(to_string(id), text);
    DiskIdent again = parse_disk_ident(to_string(id));
    EXPECT_EQ(again.kind, id.kind) << text;
    EXPECT_EQ(again.disks, id.disks) << text;
    EXPECT_EQ(again.vg, id.vg) << text;
    EXPECT_EQ(again.lv, id.lv) << text;
  }
}

TEST(DiskIdent, ToStringIsCanonical) {
  EXPECT_EQ(to_string(parse_disk_ident("img@s007")), "img@s7");
  EXPECT_EQ(to_string(DiskRef{"x.img", 3}), "x.img@s3");
}

TEST(DiskIdent, EmptyIdentifier) { EXPECT_THAT(error_of(""), HasSubstr("empty disk identifier")); }

TEST(DiskIdent, BadPartitionSuffix) {
  EXPECT_EQ(error_of("img@s"), "bad partition suffix '@s' in 'img@s': expected @s<N> with N >= 1");
  EXPECT_EQ(error_of("img@sX"), "bad partition suffix '@sX' in 'img@sX': expected @s<N> with N >= 1");
  EXPECT_EQ(error_of("img@s0"), "bad partition suffix '@s0' in 'img@s0': expected @s<N> with N >= 1");
  EXPECT_EQ(error_of("img@s-1"), "bad partition suffix '@s-1' in 'img@s-1': expected @s<N> with N >= 1");
  EXPECT_EQ(error_of("img@s1x"), "bad partition suffix '@s1x' in 'img@s1x': expected @s<N> with N >= 1");
  EXPECT_THAT(error_of("img@s99999999999"), HasSubstr("bad partition suffix '@s99999999999'"));
  EXPECT_THAT(error_of("a:img@s0"), HasSubstr("in 'img@s0'"));
  EXPECT_EQ(error_of("@s1"), "bad disk identifier '@s1': no path before '@s1'");
}

TEST(DiskIdent, EmptyComponents) {
  EXPECT_EQ(error_of("a::b"), "bad disk identifier 'a::b': disk 2 is empty");
  EXPECT_EQ(error_of(":a"), "bad disk identifier ':a': disk 1 is empty");
  EXPECT_EQ(error_of("a:"), "bad disk identifier 'a:': disk 2 is empty");
  EXPECT_EQ(error_of("raid:a::b"), "bad disk identifier 'raid:a::b': disk 2 is empty");
  EXPECT_EQ(error_of("lvm:vg::lv"), "bad disk identifier 'lvm:vg::lv': disk 1 is empty");
}

TEST(DiskIdent, LvmMissingParts) {
  for (const char* text : {"lvm:", "lvm:vg", "lvm:vg:lv"}) {
    EXPECT_EQ(error_of(text), std::string("bad disk identifier '") + text +
                                  "': an lvm identifier needs lvm:<vg>:<disk>[:<disk>...]:<lv>");
  }
  EXPECT_THAT(error_of("lvm::disk:lv"), HasSubstr("volume group name is empty"));
  EXPECT_THAT(error_of("lvm:vg:disk:"), HasSubstr("logical volume name is empty"));
}

TEST(DiskIdent, LvmNamesWithForbiddenCharacters) {
  EXPECT_THAT(error_of("lvm:my vg:disk:lv"), HasSubstr("volume group name 'my vg' has a character LVM does not allow"));
  EXPECT_THAT(error_of("lvm:vg:disk:lv@s1"),
              HasSubstr("logical volume name 'lv@s1' has a character LVM does not allow"));
}

TEST(DiskIdent, RaidWithoutDisks) {
  EXPECT_EQ(error_of("raid:"), "bad disk identifier 'raid:': a raid identifier needs raid:<disk>[:<disk>...]");
}

}  // namespace
}  // namespace alfs
