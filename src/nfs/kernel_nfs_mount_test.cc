#include "nfs/kernel_nfs_mount.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace alfs::nfs {
namespace {

TEST(KernelNfsClient, DetectedFromProcFilesystems) {
  EXPECT_TRUE(kernel_has_nfs_client("nodev\tsysfs\nnodev\tnfs\nnodev\tnfs4\n\text4\n"));
  EXPECT_FALSE(kernel_has_nfs_client("nodev\tsysfs\nnodev\tnfsd\n\text4\n"));
  EXPECT_FALSE(kernel_has_nfs_client(""));
}

TEST(KernelNfsClient, MountCommandGoesStraightToTheForwardedPorts) {
  NfsTarget t;
  t.nfs_port = 40001;
  t.mount_port = 40002;
  t.export_path = "/mnt/disk";
  t.timeout_ms = 30000;
  auto argv = kernel_nfs_mount_command(t, "/mnt/photos", true);
  std::vector<std::string> expected = {
      "mount",
      "-t",
      "nfs",
      "-o",
      "vers=3,proto=tcp,mountproto=tcp,port=40001,mountport=40002,nosuid,nodev,nolock,soft,timeo=300,retrans=2,ro",
      "127.0.0.1:/mnt/disk",
      "/mnt/photos"};
  EXPECT_EQ(argv, expected);
}

TEST(KernelNfsClient, TheUsersOptionsComeLast) {
  NfsTarget t;
  t.client_options = "hard,timeo=600";
  std::string options = kernel_nfs_mount_command(t, "/mnt/photos", false).at(4);
  EXPECT_EQ(options.substr(options.size() - std::string(",retrans=2,hard,timeo=600").size()),
            ",retrans=2,hard,timeo=600");
}

TEST(KernelNfsMountWithFakeMountCheck, RunReturnsWhenTheMountPointIsUnmounted) {
  std::atomic<int> checks{0};
  KernelNfsMount mount("/nonexistent-alfs-mp", [&] { return ++checks < 3; });
  EXPECT_EQ(mount.run(), 0);
  EXPECT_EQ(checks.load(), 3);
}

TEST(KernelNfsMountWithFakeMountCheck, RequestExitEndsRun) {
  KernelNfsMount mount("/nonexistent-alfs-mp", [] { return true; });
  std::thread stopper([&] { mount.request_exit(); });
  EXPECT_EQ(mount.run(), 0);
  stopper.join();
}

TEST(KernelNfsMountWithFakeMountCheck, ReleaseNowEndsRunWithoutUnmountingAgain) {
  std::atomic<int> checks{0};
  KernelNfsMount mount("/nonexistent-alfs-mp", [&] { return ++checks < 1000; });
  mount.release_now();
  EXPECT_EQ(mount.run(), 0);
  EXPECT_EQ(checks.load(), 0);  // the exit was waiting before the first check
}

TEST(KernelNfsMount, WithoutAServerMountFailsWithMountsOwnText) {
  NfsTarget t;
  t.nfs_port = 1;
  t.mount_port = 1;
  t.export_path = "/x";
  try {
    KernelNfsMount::mount(t, "/nonexistent-alfs-mp", false, [] { return true; });
    FAIL() << "mounting without an NFS server cannot succeed";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("cannot mount the guest's export with the kernel NFS client: mount"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace alfs::nfs
