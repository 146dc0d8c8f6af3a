#include "macos/diskutil.h"

#include <gtest/gtest.h>

#include <map>

#include "common/error.h"
#include "common/fd.h"
#include "disk/disk_list_format.h"

namespace alfs {
namespace {

// tests/fixtures/macos: a Mac with an internal APFS disk, an external GPT disk (EFI,
// Linux, NTFS), an MBR USB stick (FAT32, Linux) and an attached raw disk image.
const std::string kFixtures = std::string(ALFS_FIXTURES_DIR) + "/macos";

std::string list_fixture() { return read_file(kFixtures + "/list.plist"); }

std::string info_fixture(const std::string& id) {
  try {
    return read_file(kFixtures + "/info/" + id + ".plist");
  } catch (const Error&) {
    throw Error("no fixture for diskutil info -plist " + id);
  }
}

// libblkid's view of the Linux filesystems of the fixture, by raw device.
struct FakeProbe {
  std::map<std::string, ProbeResult> content = {
      {"/dev/rdisk4s2", {"ext4", "linuxdata"}},
      {"/dev/rdisk5s2", {"btrfs", "stickroot"}},
      {"/dev/rdisk6", {"ext4", "image"}},
  };
  std::vector<std::string> probed;
  ProbeResult operator()(const std::string& raw) {
    probed.push_back(raw);
    auto it = content.find(raw);
    if (it == content.end()) throw Error("unexpected probe of " + raw);
    return it->second;
  }
};

ListedVolume row(int index, std::string type, std::string name, uint64_t size, std::string identifier,
                 std::string partition_type) {
  ListedVolume v{index, std::move(type), std::move(name), size, std::move(identifier)};
  v.partition_type = std::move(partition_type);
  return v;
}

TEST(Diskutil, FixtureMacInTheListModel) {
  FakeProbe probe;
  auto disks = disks_from_diskutil(list_fixture(), info_fixture, std::ref(probe));
  ASSERT_EQ(disks.size(), 4u);  // disk1, disk2 and disk3 are APFS containers

  EXPECT_EQ(disks[0].path, "/dev/disk0");
  EXPECT_EQ(disks[0].kind, DiskKind::kInternal);
  EXPECT_EQ(disks[0].scheme, "gpt");
  EXPECT_EQ(disks[0].size_bytes, 500277792768u);
  EXPECT_TRUE(disks[0].volumes.empty());  // its three partitions are APFS
  EXPECT_EQ(disks[0].error, "");

  EXPECT_EQ(disks[1].path, "/dev/disk4");
  EXPECT_EQ(disks[1].kind, DiskKind::kExternal);
  EXPECT_EQ(disks[1].scheme, "gpt");
  EXPECT_EQ(disks[1].size_bytes, 1000204886016u);
  EXPECT_EQ(disks[1].volumes, (std::vector<ListedVolume>{
                                  row(1, "vfat", "EFI", 209715200, "/dev/disk4s1", "EFI"),
                                  row(2, "ext4", "linuxdata", 536870912000, "/dev/disk4s2", "Linux Filesystem"),
                                  row(3, "ntfs", "WINDATA", 463122161664, "/dev/disk4s3", "Microsoft Basic Data"),
                              }));
  EXPECT_EQ(disks[1].error, "");

  EXPECT_EQ(disks[2].path, "/dev/disk5");
  EXPECT_EQ(disks[2].kind, DiskKind::kExternal);
  EXPECT_EQ(disks[2].scheme, "dos");
  EXPECT_EQ(disks[2].volumes, (std::vector<ListedVolume>{
                                  row(1, "vfat", "STICK", 8589934592, "/dev/disk5s1", "DOS_FAT_32"),
                                  row(2, "btrfs", "stickroot", 7340556288, "/dev/disk5s2", "Linux"),
                              }));

  EXPECT_EQ(disks[3].path, "/dev/disk6");
  EXPECT_EQ(disks[3].kind, DiskKind::kImage);
  EXPECT_EQ(disks[3].scheme, "");
  EXPECT_EQ(disks[3].volumes, (std::vector<ListedVolume>{row(0, "ext4", "image", 1073741824, "/dev/disk6", "")}));

  // Only what macOS cannot name is probed, and through the raw devices.
  EXPECT_EQ(probe.probed, (std::vector<std::string>{"/dev/rdisk4s2", "/dev/rdisk5s2", "/dev/rdisk6"}));
}

TEST(Diskutil, FixtureMacAsTheUserSeesIt) {
  FakeProbe probe;
  auto disks =
      filter_disks(disks_from_diskutil(list_fixture(), info_fixture, std::ref(probe)), ListFilter::kDefault, false);
  EXPECT_EQ(format_table(disks),
            "/dev/disk4 (external, physical):\n"
            "   #:                       TYPE NAME                    SIZE       IDENTIFIER\n"
            "   0:      GUID_partition_scheme                        *1.0 TB     /dev/disk4\n"
            "   2:                       ext4 linuxdata               536.9 GB   /dev/disk4s2\n"
            "\n"
            "/dev/disk5 (external, physical):\n"
            "   #:                       TYPE NAME                    SIZE       IDENTIFIER\n"
            "   0:     FDisk_partition_scheme                        *15.9 GB    /dev/disk5\n"
            "   2:                      btrfs stickroot               7.3 GB     /dev/disk5s2\n"
            "\n"
            "/dev/disk6 (disk image):\n"
            "   #:                       TYPE NAME                    SIZE       IDENTIFIER\n"
            "   0:                       ext4 image                  +1.1 GB     /dev/disk6\n");
}

TEST(Diskutil, WithoutRootTheLinuxRowsShowTheirPartitionType) {
  // /dev/rdisk* is root:operator 0640: a user's probe fails, diskutil still answers.
  auto denied = [](const std::string& raw) -> ProbeResult {
    throw Error("cannot open " + raw + ": Permission denied");
  };
  auto disks = disks_from_diskutil(list_fixture(), info_fixture, denied);
  ASSERT_EQ(disks.size(), 4u);
  EXPECT_EQ(disks[1].error, "cannot open /dev/rdisk4s2: Permission denied");
  EXPECT_EQ(disks[1].volumes.at(1), row(2, "", "", 536870912000, "/dev/disk4s2", "Linux Filesystem"));
  EXPECT_EQ(disks[1].volumes.at(2).type, "ntfs");  // a failing row does not stop the next one
  EXPECT_NE(format_table({disks[1]})
                .find("   2:           Linux Filesystem                         536.9 GB   /dev/disk4s2\n"),
            std::string::npos);
  EXPECT_EQ(disks[0].error, "");  // nothing on disk0 needed probing
}

TEST(Diskutil, AFailingInfoIsTheDisksErrorAndKeepsItsRows) {
  auto info = [](const std::string& id) -> std::string {
    if (id != "disk5") return info_fixture(id);
    // What diskutil prints when a disk goes away between list and info.
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n"
           "\t<key>Error</key>\n\t<true/>\n\t<key>ErrorMessage</key>\n\t<string>Could not find disk: disk5</string>\n"
           "\t<key>ExitCode</key>\n\t<integer>1</integer>\n</dict>\n</plist>\n";
  };
  FakeProbe probe;
  auto disks = disks_from_diskutil(list_fixture(), info, std::ref(probe));
  EXPECT_EQ(disks[2].error, "diskutil info -plist disk5: Could not find disk: disk5");
  EXPECT_EQ(disks[2].volumes.size(), 2u);
  EXPECT_EQ(disks[2].volumes[0].type, "vfat");
  EXPECT_EQ(disks[1].error, "");
}

TEST(Diskutil, AMalformedInfoNamesTheDocumentAndLine) {
  auto info = [](const std::string& id) -> std::string {
    if (id == "disk4s3")
      return "<plist version=\"1.0\">\n<dict>\n<key>FilesystemType</key>\n<integer>3</integer>\n</dict></plist>";
    if (id == "disk6") return "<plist><dict><key>BusProtocol</key><string>USB</string></dict></plist>";
    return info_fixture(id);
  };
  FakeProbe probe;
  auto disks = disks_from_diskutil(list_fixture(), info, std::ref(probe));
  EXPECT_EQ(disks[1].error, "diskutil info -plist disk4s3: line 4: expected a string, found an integer");
  EXPECT_EQ(disks[3].error, "diskutil info -plist disk6: line 1: the dict has no key Internal");
}

std::string list_error(const std::string& body) {
  try {
    disks_from_diskutil("<plist version=\"1.0\">\n" + body + "\n</plist>", info_fixture, FakeProbe());
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Diskutil, AMalformedListIsAnError) {
  EXPECT_EQ(list_error("<dict/>"), "diskutil list -plist: line 2: the dict has no key AllDisksAndPartitions");
  EXPECT_EQ(list_error("<dict><key>AllDisksAndPartitions</key><array><dict>\n"
                       "<key>DeviceIdentifier</key><string>disk4s1</string><key>Size</key><integer>1</integer>"
                       "</dict></array></dict>"),
            "diskutil list -plist: line 3: disk4s1 is not a whole disk");
  EXPECT_EQ(list_error("<dict><key>AllDisksAndPartitions</key><array><dict>"
                       "<key>Content</key><string>GUID_partition_scheme</string>"
                       "<key>DeviceIdentifier</key><string>disk4</string><key>Size</key><integer>1</integer>"
                       "<key>Partitions</key><array><dict>\n<key>DeviceIdentifier</key><string>disk5s1</string>"
                       "</dict></array></dict></array></dict>"),
            "diskutil list -plist: line 3: disk5s1 is not a partition of disk4");
  EXPECT_EQ(list_error("<dict><key>AllDisksAndPartitions</key><array><dict>"
                       "<key>DeviceIdentifier</key><string>disk4</string></dict></array></dict>"),
            "diskutil list -plist: line 2: the dict has no key Size");
  EXPECT_EQ(list_error("<dict><key>AllDisksAndPartitions</key><array><dict>"
                       "<key>DeviceIdentifier</key><string>disk4</string><key>Size</key><integer>-1</integer>"
                       "</dict></array></dict>"),
            "diskutil list -plist: line 2: negative size");
  EXPECT_EQ(list_error("<dict>"), "diskutil list -plist: line 3, column 1: expected <key> or </dict>, found </plist>");
}

TEST(Diskutil, TheMacsDisksComeFromDiskutilItself) {
  std::vector<std::string> ran;
  auto diskutil = [&](const std::vector<std::string>& argv) {
    ran.push_back(join_argv(argv));
    std::string output = argv.at(1) == "list" ? list_fixture() : info_fixture(argv.at(3));
    return RunResult{ExitStatus{0}, output};
  };
  FakeProbe probe;
  auto disks = macos_host_disks(diskutil, std::ref(probe));
  EXPECT_EQ(disks, disks_from_diskutil(list_fixture(), info_fixture, std::ref(probe)));
  ASSERT_GE(ran.size(), 2u);
  EXPECT_EQ(ran[0], "/usr/sbin/diskutil list -plist");
  EXPECT_EQ(ran[1], "/usr/sbin/diskutil info -plist disk0");
}

TEST(Diskutil, AFailingListIsAnErrorWithDiskutilsWords) {
  auto broken = [](const std::vector<std::string>&) {
    return RunResult{ExitStatus{1 << 8}, "Unable to run because unable to use the DiskManagement framework"};
  };
  try {
    macos_host_disks(broken, [](const std::string&) { return ProbeResult{}; });
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "diskutil list -plist failed (exit code 1): Unable to run because unable to use the "
                 "DiskManagement framework");
  }
}

TEST(Diskutil, RawDevicePaths) {
  EXPECT_EQ(raw_device_path("/dev/disk4"), "/dev/rdisk4");
  EXPECT_EQ(raw_device_path("/dev/disk12s3"), "/dev/rdisk12s3");
  EXPECT_EQ(raw_device_path("/dev/rdisk4"), "/dev/rdisk4");
  EXPECT_EQ(raw_device_path("/dev/disk3s1s1"), "/dev/disk3s1s1");  // an APFS snapshot: not ours to open
  EXPECT_EQ(raw_device_path("/dev/diskette"), "/dev/diskette");
  EXPECT_EQ(raw_device_path("/dev/disk4s"), "/dev/disk4s");
  EXPECT_EQ(raw_device_path("/dev/disk4s0"), "/dev/disk4s0");
  EXPECT_EQ(raw_device_path("disk.img"), "disk.img");
  EXPECT_EQ(raw_device_path("/Users/me/disk4.img"), "/Users/me/disk4.img");
}

}  // namespace
}  // namespace alfs
