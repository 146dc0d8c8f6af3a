#include "vm/accel.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/error.h"

namespace alfs::vm {
namespace {

struct EnvGuard {
  explicit EnvGuard(const char* value) {
    if (value) ::setenv("ALFS_ACCEL", value, 1);
    else ::unsetenv("ALFS_ACCEL");
  }
  ~EnvGuard() { ::unsetenv("ALFS_ACCEL"); }
};

TEST(ChooseAccel, EnvironmentForcesEither) {
  {
    EnvGuard g("kvm");
    EXPECT_EQ(choose_accel("/nonexistent"), Accel::kKvm);
  }
  {
    EnvGuard g("tcg");
    EXPECT_EQ(choose_accel("/nonexistent"), Accel::kTcg);
  }
}

TEST(ChooseAccel, AutoWithoutAProbeIsTcg) {
  EnvGuard g(nullptr);
  EXPECT_EQ(choose_accel("/nonexistent/probe"), Accel::kTcg);
}

TEST(ChooseAccel, BadValueIsANamedError) {
  EnvGuard g("hvf2");
  try {
    choose_accel("/nonexistent");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ALFS_ACCEL='hvf2': expected kvm, tcg or auto");
  }
}

}  // namespace
}  // namespace alfs::vm
