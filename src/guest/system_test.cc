#include "guest/system.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace alfs::guest {
namespace {

TEST(KmsgRecord, ParsesTheLevelTimeAndText) {
  auto r = parse_kmsg_record("6,339,5140900,-;NET: Registered PF_INET6 protocol family\n SUBSYSTEM=net\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->level, 6);
  EXPECT_EQ(r->usec, 5140900u);
  EXPECT_EQ(r->text, "NET: Registered PF_INET6 protocol family");
  // A facility other than the kernel's (a line written to /dev/kmsg): 30 is daemon.info.
  EXPECT_EQ(parse_kmsg_record("30,1,2,-;x")->level, 6);
  EXPECT_EQ(parse_kmsg_record("3,1,2,-;EXT4-fs error")->level, 3);
  EXPECT_FALSE(parse_kmsg_record("no header"));
  EXPECT_FALSE(parse_kmsg_record("x,1,2;text"));
}

TEST(ConsoleLoglevel, IsTheFirstFieldOfPrintk) {
  EXPECT_EQ(parse_console_loglevel("4\t4\t1\t7\n"), 4);
  EXPECT_EQ(parse_console_loglevel("7\t4\t1\t7\n"), 7);
  EXPECT_EQ(parse_console_loglevel(""), 0);
  EXPECT_EQ(parse_console_loglevel("garbage"), 0);
}

}  // namespace
TEST(MountFlags, AreMount8sNamesSetAndCleared) {
  EXPECT_EQ(mount_flags(""), 0ul);
  EXPECT_EQ(mount_flags("noatime"), static_cast<unsigned long>(MS_NOATIME));
  EXPECT_EQ(mount_flags("noatime,ro,nosuid"), static_cast<unsigned long>(MS_NOATIME | MS_RDONLY | MS_NOSUID));
  EXPECT_EQ(mount_flags("ro,rw"), 0ul);
  EXPECT_EQ(mount_flags("defaults,,sync"), static_cast<unsigned long>(MS_SYNCHRONOUS));
}

TEST(MountFlags, AnythingElseIsLeftToMount8) {
  EXPECT_EQ(mount_flags("noatime,errors=remount-ro"), std::nullopt);
  EXPECT_EQ(mount_flags("subvol=@home"), std::nullopt);
  EXPECT_EQ(mount_flags("nofail"), std::nullopt);
  EXPECT_EQ(mount_flags("x-systemd.automount"), std::nullopt);
}

}  // namespace alfs::guest
