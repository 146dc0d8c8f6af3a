#include "instance/presenter.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

using vm::HostOs;

TEST(Presenter, LinuxPresentsWithTheKernelClientOnlyAsRootWhereItExists) {
  int asked = 0;
  auto has_client = [&] { return ++asked, true; };
  auto no_client = [] { return false; };
  EXPECT_EQ(choose_presentation(HostOs::kLinux, "", true, has_client), PresentationKind::kKernelNfs);
  EXPECT_EQ(choose_presentation(HostOs::kLinux, "auto", true, no_client), PresentationKind::kFuse);
  EXPECT_EQ(choose_presentation(HostOs::kLinux, "", false, has_client), PresentationKind::kFuse);
  EXPECT_EQ(asked, 1);  // a user's mount never looks: it cannot use the kernel client
  EXPECT_EQ(choose_presentation(HostOs::kLinux, "fuse", true, has_client), PresentationKind::kFuse);
  EXPECT_EQ(choose_presentation(HostOs::kLinux, "kernel", false, no_client), PresentationKind::kKernelNfs);
  EXPECT_THROW(choose_presentation(HostOs::kLinux, "nfs4", true, has_client), Error);
}

TEST(Presenter, MacosPresentsWithMountNfs) {
  auto never = []() -> bool { throw Error("not asked on macOS"); };
  EXPECT_EQ(choose_presentation(HostOs::kMacos, "", false, never), PresentationKind::kMacosNfs);
  EXPECT_EQ(choose_presentation(HostOs::kMacos, "auto", true, never), PresentationKind::kMacosNfs);
  EXPECT_EQ(choose_presentation(HostOs::kMacos, "kernel", true, never), PresentationKind::kMacosNfs);
  try {
    choose_presentation(HostOs::kMacos, "fuse", true, never);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ALFS_PRESENTATION=fuse: on macOS the export is presented by mount_nfs only");
  }
}

}  // namespace
}  // namespace alfs
