#include "nfs/nfs_fuse_bridge.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "common/error.h"
#include "common/fd.h"

namespace alfs::nfs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(NfsUrl, CarriesPortsAndVersionSoNoPortmapperIsNeeded) {
  NfsTarget t{.host = "127.0.0.1", .nfs_port = 41234, .mount_port = 41235, .export_path = "/mnt/disk"};
  EXPECT_EQ(nfs_url(t), "nfs://127.0.0.1/mnt/disk?nfsport=41234&mountport=41235&version=3");
}

TEST(NfsUrl, ExportPathGetsItsLeadingSlash) {
  NfsTarget t{.host = "10.0.2.15", .nfs_port = 2049, .mount_port = 20048, .export_path = "mnt/disk"};
  EXPECT_EQ(nfs_url(t), "nfs://10.0.2.15/mnt/disk?nfsport=2049&mountport=20048&version=3");
}

TEST(FuseError, PassesServerErrnosThrough) {
  EXPECT_EQ(fuse_error(-ENOENT), -ENOENT);
  EXPECT_EQ(fuse_error(-EACCES), -EACCES);
  EXPECT_EQ(fuse_error(-ENOSPC), -ENOSPC);
  EXPECT_EQ(fuse_error(-ESTALE), -ESTALE);
}

TEST(FuseError, TransportFailuresBecomeIoErrorsAndTimeouts) {
  EXPECT_EQ(fuse_error(-EFAULT), -EIO);
  EXPECT_EQ(fuse_error(-EINTR), -ETIMEDOUT);
}

TEST(FuseError, NonErrnoResultsBecomeEio) {
  EXPECT_EQ(fuse_error(0), -EIO);
  EXPECT_EQ(fuse_error(-1), -EPERM);
  EXPECT_EQ(fuse_error(7), -EIO);
  EXPECT_EQ(fuse_error(-100000), -EIO);
}

TEST(FuseMountOptions, DefaultsAreKernelPermissionChecksOnly) {
  FuseOptions o{.mount_point = "/mnt/x", .fsname = "anylinuxfs:disk.img"};
  EXPECT_EQ(fuse_mount_options(o), "fsname=anylinuxfs:disk.img,subtype=anylinuxfs,default_permissions");
}

TEST(FuseMountOptions, AllowOtherAndReadOnlyOnlyWhenAsked) {
  FuseOptions o{.mount_point = "/mnt/x", .fsname = "d", .read_only = true, .allow_other = true};
  EXPECT_EQ(fuse_mount_options(o), "fsname=d,subtype=anylinuxfs,default_permissions,allow_other,ro");
}

TEST(FuseMountOptions, IgnoringPermissionsLeavesTheChecksToTheServer) {
  FuseOptions o{.mount_point = "/mnt/x", .fsname = "d", .kernel_permissions = false};
  EXPECT_EQ(fuse_mount_options(o), "fsname=d,subtype=anylinuxfs");
}

TEST(FuseMountOptions, FsnameCannotInjectOptions) {
  FuseOptions o{.mount_point = "/mnt/x", .fsname = "a,allow_other\\b"};
  EXPECT_EQ(fuse_mount_options(o), "fsname=a\\,allow_other\\\\b,subtype=anylinuxfs,default_permissions");
}

TEST(ToStat, CopiesEveryField) {
  nfs_stat_64 s{};
  s.nfs_dev = 1;
  s.nfs_ino = 0x1'0000'0002;
  s.nfs_mode = S_IFREG | 0640;
  s.nfs_nlink = 3;
  s.nfs_uid = 1000;
  s.nfs_gid = 100;
  s.nfs_rdev = 5;
  s.nfs_size = 0x2'0000'0000;
  s.nfs_blksize = 4096;
  s.nfs_blocks = 16;
  s.nfs_atime = 1700000001;
  s.nfs_atime_nsec = 11;
  s.nfs_mtime = 1700000002;
  s.nfs_mtime_nsec = 22;
  s.nfs_ctime = 1700000003;
  s.nfs_ctime_nsec = 33;

  const struct stat st = to_stat(s);
  EXPECT_EQ(st.st_dev, 1u);
  EXPECT_EQ(st.st_ino, 0x1'0000'0002u);
  EXPECT_EQ(st.st_mode, S_IFREG | 0640u);
  EXPECT_EQ(st.st_nlink, 3u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 100u);
  EXPECT_EQ(st.st_rdev, 5u);
  EXPECT_EQ(st.st_size, 0x2'0000'0000);
  EXPECT_EQ(st.st_blksize, 4096);
  EXPECT_EQ(st.st_blocks, 16);
  EXPECT_EQ(st.st_atim.tv_sec, 1700000001);
  EXPECT_EQ(st.st_atim.tv_nsec, 11);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000002);
  EXPECT_EQ(st.st_mtim.tv_nsec, 22);
  EXPECT_EQ(st.st_ctim.tv_sec, 1700000003);
  EXPECT_EQ(st.st_ctim.tv_nsec, 33);
}

TEST(ResolveTimes, OmitKeepsCurrentNowTakesNowAndExplicitIsKept) {
  const timespec current[2] = {{100, 1'000}, {200, 2'000}};
  const timespec now{300, 3'999};

  const timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  auto t = resolve_times(omit_now, current, now);
  EXPECT_EQ(t[0].tv_sec, 100);
  EXPECT_EQ(t[0].tv_usec, 1);
  EXPECT_EQ(t[1].tv_sec, 300);
  EXPECT_EQ(t[1].tv_usec, 3);

  const timespec explicit_omit[2] = {{400, 999'999'999}, {0, UTIME_OMIT}};
  t = resolve_times(explicit_omit, current, now);
  EXPECT_EQ(t[0].tv_sec, 400);
  EXPECT_EQ(t[0].tv_usec, 999'999);
  EXPECT_EQ(t[1].tv_sec, 200);
  EXPECT_EQ(t[1].tv_usec, 2);
}

// A TCP socket on 127.0.0.1 with a kernel-chosen port.
UniqueFd loopback_socket(int& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw SystemError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw SystemError("bind");
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw SystemError("getsockname");
  }
  port = ntohs(addr.sin_port);
  return fd;
}

void expect_mount_error_naming(const NfsTarget& target, Clock::duration limit) {
  const auto start = Clock::now();
  try {
    NfsFuseBridge::mount(target, FuseOptions{.mount_point = "/nonexistent", .fsname = "test"});
    FAIL() << "mount() succeeded without a server";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(target.mount_port)), std::string::npos) << message;
    EXPECT_NE(message.find(target.export_path), std::string::npos) << message;
  }
  EXPECT_LT(Clock::now() - start, limit);
}

TEST(Mount, ClosedPortFailsFastNamingTheAddress) {
  int port = 0;
  loopback_socket(port);  // closed again at once: nothing listens on `port`
  NfsTarget target{.nfs_port = port, .mount_port = port, .export_path = "/mnt/disk", .timeout_ms = 20000};
  expect_mount_error_naming(target, 5s);
}

TEST(Mount, SilentServerTimesOut) {
  int port = 0;
  UniqueFd listener = loopback_socket(port);
  // The kernel completes connections into the backlog; nobody ever answers the RPCs.
  ASSERT_EQ(::listen(listener.get(), 8), 0);
  NfsTarget target{.nfs_port = port, .mount_port = port, .export_path = "/mnt/disk", .timeout_ms = 2000};
  expect_mount_error_naming(target, 10s);
}

}  // namespace
}  // namespace alfs::nfs
