#include "common/guest_arch.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

TEST(GuestArch, TheMachinesOwnWhenNoneIsRequested) {
  GuestArch arch = guest_arch_for("x86_64", nullptr);
  EXPECT_EQ(arch.name, "x86_64");
  EXPECT_FALSE(arch.foreign);
  arch = guest_arch_for("arm64", "");  // macOS's name of Apple Silicon
  EXPECT_EQ(arch.name, "aarch64");
  EXPECT_FALSE(arch.foreign);
}

TEST(GuestArch, AnotherArchitectureIsForeignUnderEitherOfItsNames) {
  for (const char* requested : {"arm64", "aarch64"}) {
    GuestArch arch = guest_arch_for("x86_64", requested);
    EXPECT_EQ(arch.name, "aarch64");
    EXPECT_TRUE(arch.foreign);
  }
  EXPECT_TRUE(guest_arch_for("aarch64", "amd64").foreign);
  EXPECT_FALSE(guest_arch_for("x86_64", "amd64").foreign);
}

TEST(GuestArch, AnUnknownRequestIsRefusedByName) {
  try {
    guest_arch_for("x86_64", "riscv64");
    FAIL() << "riscv64 was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ALFS_GUEST_ARCH='riscv64'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace alfs
