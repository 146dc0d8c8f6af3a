#include "vm/accel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs::vm {
namespace {

namespace fs = std::filesystem;

struct EnvGuard {
  explicit EnvGuard(const char* value) {
    if (value)
      ::setenv("ALFS_ACCEL", value, 1);
    else
      ::unsetenv("ALFS_ACCEL");
  }
  ~EnvGuard() { ::unsetenv("ALFS_ACCEL"); }
};

bool kvm_opens() { return UniqueFd(::open("/dev/kvm", O_RDWR | O_CLOEXEC)).valid(); }

TEST(ChooseAccelWithFakeProbe, EnvironmentForcesEitherWithoutProbing) {
  int probes = 0;
  auto probe = [&] { return ++probes, true; };
  {
    EnvGuard g("kvm");
    EXPECT_EQ(choose_accel("/nonexistent/verdict", probe), Accel::kKvm);
  }
  {
    EnvGuard g("tcg");
    EXPECT_EQ(choose_accel("/nonexistent/verdict", probe), Accel::kTcg);
  }
  EXPECT_EQ(probes, 0);
}

TEST(ChooseAccelWithFakeProbe, BadValueIsANamedError) {
  EnvGuard g("hvf2");
  try {
    choose_accel("/nonexistent", [] { return true; });
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ALFS_ACCEL='hvf2': expected kvm, tcg or auto");
  }
}

TEST(ChooseAccelWithFakeProbe, MacosAutoIsHvfWithoutProbing) {
  int probes = 0;
  auto probe = [&] { return ++probes, true; };
  {
    EnvGuard g(nullptr);
    EXPECT_EQ(choose_accel("/nonexistent/verdict", probe, HostOs::kMacos), Accel::kHvf);
  }
  {
    EnvGuard g("tcg");
    EXPECT_EQ(choose_accel("/nonexistent/verdict", probe, HostOs::kMacos), Accel::kTcg);
  }
  {
    EnvGuard g("hvf");
    EXPECT_EQ(choose_accel("/nonexistent/verdict", probe, HostOs::kMacos), Accel::kHvf);
  }
  EXPECT_EQ(probes, 0);
}

TEST(ChooseAccelWithFakeProbe, EachOsRefusesTheOthersAccelerator) {
  {
    EnvGuard g("kvm");
    EXPECT_THROW(choose_accel(
                     "/nonexistent", [] { return true; }, HostOs::kMacos),
                 Error);
  }
  EnvGuard g("hvf");
  try {
    choose_accel(
        "/nonexistent", [] { return true; }, HostOs::kLinux);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ALFS_ACCEL='hvf': expected kvm, tcg or auto");
  }
}

class ProbeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kvm_opens()) GTEST_SKIP() << "/dev/kvm does not open here: auto is TCG without probing";
    verdict = (dir / "verdict").string();
  }
  EnvGuard env{nullptr};
  TempDir tmp{"alfs-accel"};
  fs::path dir = tmp.path();
  std::string verdict;
};

TEST_F(ProbeCacheTest, ProbesOnceAndCachesAFailure) {
  int probes = 0;
  auto failing = [&] { return ++probes, false; };
  EXPECT_EQ(choose_accel(verdict, failing), Accel::kTcg);
  EXPECT_EQ(choose_accel(verdict, failing), Accel::kTcg);
  EXPECT_EQ(probes, 1);
  EXPECT_EQ(read_file(verdict), "kvm-fails\n");
}

TEST_F(ProbeCacheTest, ABootingProbeSelectsKvm) {
  EXPECT_EQ(choose_accel(verdict, [] { return true; }), Accel::kKvm);
  EXPECT_EQ(read_file(verdict), "kvm-boots\n");
}

TEST_F(ProbeCacheTest, WithoutAProbeAnUntestedKvmIsTcgAndNothingIsCached) {
  EXPECT_EQ(choose_accel(verdict, {}), Accel::kTcg);
  EXPECT_FALSE(fs::exists(verdict));
}

TEST_F(ProbeCacheTest, AnUnwritableCacheStillGivesTheVerdict) {
  EXPECT_EQ(choose_accel((dir / "missing-dir" / "verdict").string(), [] { return true; }), Accel::kKvm);
}

}  // namespace
}  // namespace alfs::vm
