#include "nfs/macos_nfs_mount.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "common/error.h"

namespace alfs::nfs {
namespace {

NfsTarget target() {
  NfsTarget t;
  t.nfs_port = 40001;
  t.mount_port = 40002;
  t.export_path = "/mnt/disk";
  t.timeout_ms = 30000;
  return t;
}

TEST(MacosNfsMount, CommandGoesStraightToTheForwardedPorts) {
  EXPECT_EQ(macos_nfs_mount_command(target(), "/Volumes/photos", false),
            (std::vector<std::string>{
                "/sbin/mount_nfs", "-o",
                "vers=3,tcp,port=40001,mountport=40002,nosuid,nodev,nolocks,soft,intr,timeo=300,retrans=2",
                "127.0.0.1:/mnt/disk", "/Volumes/photos"}));
}

TEST(MacosNfsMount, ReadOnlyAddsRdonly) {
  auto argv = macos_nfs_mount_command(target(), "/Volumes/photos", true);
  EXPECT_EQ(argv.at(2),
            "vers=3,tcp,port=40001,mountport=40002,nosuid,nodev,nolocks,soft,intr,timeo=300,retrans=2,rdonly");
}

TEST(MacosNfsMount, TheUsersOptionsComeLast) {
  NfsTarget t = target();
  t.client_options = "hard,rsize=65536";
  EXPECT_EQ(macos_nfs_mount_command(t, "/Volumes/photos", true).at(2),
            "vers=3,tcp,port=40001,mountport=40002,nosuid,nodev,nolocks,soft,intr,timeo=300,retrans=2,rdonly,"
            "hard,rsize=65536");
}

TEST(MacosNfsMount, ABoundAddressAndAShortTimeout) {
  NfsTarget t = target();
  t.host = "192.168.1.20";
  t.timeout_ms = 50;
  auto argv = macos_nfs_mount_command(t, "/Users/me/Volumes/a b", false);
  EXPECT_NE(argv.at(2).find(",timeo=1,"), std::string::npos);
  EXPECT_EQ(argv.at(3), "192.168.1.20:/mnt/disk");
  EXPECT_EQ(argv.at(4), "/Users/me/Volumes/a b");  // one argument: no shell between us and mount_nfs
}

TEST(MacosNfsMount, DefaultMountPointIsUnderVolumes) {
  auto free = [](const std::string&) { return false; };
  EXPECT_EQ(macos_default_mount_point(true, "/Users/me", "WINDATA", free), "/Volumes/WINDATA");
  EXPECT_EQ(macos_default_mount_point(false, "/Users/me", "WINDATA", free), "/Users/me/Volumes/WINDATA");
  EXPECT_EQ(macos_default_mount_point(false, "/Users/me/", "WINDATA", free), "/Users/me/Volumes/WINDATA");
}

TEST(MacosNfsMount, ATakenNameGetsASuffix) {
  std::set<std::string> taken = {"/Volumes/data", "/Volumes/data-1"};
  EXPECT_EQ(macos_default_mount_point(true, "", "data", [&](const std::string& p) { return taken.count(p) > 0; }),
            "/Volumes/data-2");
}

TEST(MacosNfsMount, AUserWithoutHomeIsAnError) {
  EXPECT_THROW(macos_default_mount_point(false, "", "data", [](const std::string&) { return false; }), Error);
}

// The mount point is in the table while `present` holds.
class SwitchTable : public MountTable {
 public:
  std::vector<std::string> mount_points() const override {
    if (present) return {"/", "/Volumes/photos"};
    return {"/"};
  }
  std::atomic<bool> present{true};
};

TEST(MacosNfsMount, AnEjectEndsTheInstanceWithNothingLeftToUnmount) {
  auto table = std::make_shared<SwitchTable>();
  int unmounts = 0;
  MacosNfsMount mount("/Volumes/photos", table, [&] { ++unmounts; });
  std::thread finder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    table->present = false;
  });
  EXPECT_EQ(mount.run(), 0);
  finder.join();
  EXPECT_EQ(unmounts, 0);
}

TEST(MacosNfsMount, AStopUnmountsIt) {
  auto table = std::make_shared<SwitchTable>();
  int unmounts = 0;
  MacosNfsMount mount("/Volumes/photos", table, [&] { ++unmounts; });
  std::thread stop([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    mount.request_exit();
  });
  EXPECT_EQ(mount.run(), 0);
  stop.join();
  EXPECT_EQ(unmounts, 1);
}

TEST(MacosNfsMount, ADeadGuestsMountIsTakenAwayOnceAndRunEnds) {
  auto table = std::make_shared<SwitchTable>();
  int unmounts = 0;
  MacosNfsMount mount("/Volumes/photos", table, [&] { ++unmounts; });
  mount.release_now();
  EXPECT_EQ(unmounts, 1);  // at once, not when run() gets to it
  EXPECT_EQ(mount.run(), 0);
  EXPECT_EQ(unmounts, 1);
}

}  // namespace
}  // namespace alfs::nfs
