// The `list` inspection against a fake Runner fed with outputs recorded in the guest.
#include "guest/inspector.h"

#include <gtest/gtest.h>

#include "guest/fake_runner.h"

namespace alfs::guest {
namespace {

using nlohmann::json;

// Recorded: an LVM PV (vda, two LVs), a RAID1 pair (vdb, vdc), LVM on LUKS (vdd).
const char* kLsblk = R"({"blockdevices": [
  {"name": "/dev/vda", "type": "disk", "size": 209715200, "children": [
     {"name": "/dev/mapper/vgt-one", "type": "lvm", "size": 62914560},
     {"name": "/dev/mapper/vgt-two", "type": "lvm", "size": 62914560}]},
  {"name": "/dev/vdb", "type": "disk", "size": 209715200, "children": [
     {"name": "/dev/md0", "type": "raid1", "size": 208666624}]},
  {"name": "/dev/vdc", "type": "disk", "size": 209715200, "children": [
     {"name": "/dev/md0", "type": "raid1", "size": 208666624}]},
  {"name": "/dev/vdd", "type": "disk", "size": 209715200, "children": [
     {"name": "/dev/mapper/alfs-vdd", "type": "crypt", "size": 192937984, "children": [
        {"name": "/dev/mapper/vgc-inner", "type": "lvm", "size": 41943040}]}]}]})";

const char* kBlkid =
    "DEVNAME=/dev/mapper/vgt-one\nLABEL=lvone\nUUID=f01f\nBLOCK_SIZE=1024\nTYPE=ext4\n\n"
    "DEVNAME=/dev/vdd\nUUID=0a2a\nTYPE=crypto_LUKS\n\n"
    "DEVNAME=/dev/vdb\nLABEL=anylinuxfs:0\nTYPE=linux_raid_member\n\n"
    "DEVNAME=/dev/md0\nLABEL=raid\\ fs\nTYPE=ext4\n\n"
    "DEVNAME=/dev/mapper/alfs-vdd\nTYPE=LVM2_member\n\n"
    "DEVNAME=/dev/vda\nTYPE=LVM2_member\n\n"
    "DEVNAME=/dev/mapper/vgc-inner\nLABEL=innerfs\nTYPE=ext4\n";

const char* kLvs = R"(  WARNING: a warning lvs printed first
  {"report": [{"lv": [
    {"vg_name":"vgc", "lv_name":"inner", "lv_dm_path":"/dev/mapper/vgc-inner"},
    {"vg_name":"vgt", "lv_name":"one", "lv_dm_path":"/dev/mapper/vgt-one"}]}]})";

const json* device(const json& report, const std::string& path) {
  for (const auto& d : report["devices"])
    if (d["path"] == path) return &d;
  return nullptr;
}

TEST(InspectorWithFakeRunner, UnlocksReadOnlyAssemblesActivatesAndReportsTheGraph) {
  FakeRunner runner;
  runner.outputs["lsblk"] = kLsblk;
  runner.outputs["blkid -c /dev/null"] = kBlkid;
  runner.outputs["lvs"] = kLvs;
  protocol::InspectRequest request{{{"/dev/vdd", "secret"}}};
  json report = Inspector(runner).inspect(request);

  EXPECT_EQ(report["type"], "inspected");
  EXPECT_NE(
      std::find(runner.calls.begin(), runner.calls.end(), "cryptsetup open --readonly /dev/vdd alfs-vdd --key-file=-"),
      runner.calls.end());
  EXPECT_EQ(runner.inputs, std::vector<std::string>{"secret"});
  EXPECT_NE(std::find(runner.calls.begin(), runner.calls.end(), "mdadm --assemble --scan --readonly"),
            runner.calls.end());
  EXPECT_NE(std::find(runner.calls.begin(), runner.calls.end(), "vgchange -ay"), runner.calls.end());

  const json* md = device(report, "/dev/md0");
  ASSERT_NE(md, nullptr);
  EXPECT_EQ((*md)["kind"], "raid1");
  EXPECT_EQ((*md)["parents"], json::array({"/dev/vdb", "/dev/vdc"}));
  EXPECT_EQ((*md)["fstype"], "ext4");
  EXPECT_EQ((*md)["label"], "raid fs");
  const json* inner = device(report, "/dev/mapper/vgc-inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ((*inner)["parents"], json::array({"/dev/mapper/alfs-vdd"}));
  EXPECT_EQ((*device(report, "/dev/mapper/alfs-vdd"))["parents"], json::array({"/dev/vdd"}));
  EXPECT_EQ(report["devices"].size(), 9u);
  EXPECT_EQ(report["volumes"][1], json({{"vg", "vgt"}, {"lv", "one"}, {"device", "/dev/mapper/vgt-one"}}));
  EXPECT_TRUE(report["errors"].empty());
}

TEST(InspectorWithFakeRunner, AWrongPassphraseIsAnErrorOnThatDeviceOnly) {
  FakeRunner runner;
  runner.outputs["lsblk"] = kLsblk;
  runner.fail("cryptsetup open", "No key available with this passphrase.\n");
  json report = Inspector(runner).inspect(protocol::InspectRequest{{{"/dev/vdd", "wrong"}}});
  ASSERT_EQ(report["errors"].size(), 1u);
  EXPECT_EQ(report["errors"][0]["device"], "/dev/vdd");
  EXPECT_EQ(report["errors"][0]["message"], "/dev/vdd: No key available with this passphrase.");
  EXPECT_EQ(report["devices"].size(), 9u);
}

TEST(InspectorWithFakeRunner, NoArraysIsNotAnError) {
  FakeRunner runner;
  runner.outputs["lsblk"] = kLsblk;
  runner.fail("mdadm", "mdadm: No arrays found in config file or automatically\n");
  EXPECT_TRUE(Inspector(runner).inspect({})["errors"].empty());
}

// Found by fuzz/listing_fuzz.cc: a node or field unlike lsblk's threw a JSON exception out
// of the agent (no report at all), and a float size was converted to an integer (UB).
TEST(Inspector, LsblkNodesUnlikeLsblksAreSkipped) {
  json devices = Inspector::devices_from_lsblk(json::parse(R"({"blockdevices": [0, "x", {"name": 7},
    {"name": "/dev/vda", "type": ["disk"], "size": 1e300, "children": [null,
       {"name": "/dev/vda1", "type": "part", "size": -1}]}]})"));
  EXPECT_EQ(devices, json::parse(R"([{"path":"/dev/vda","kind":"","size":0,"parents":[]},
    {"path":"/dev/vda1","kind":"part","size":0,"parents":["/dev/vda"]}])"));
}

}  // namespace
}  // namespace alfs::guest
