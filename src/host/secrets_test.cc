#include "host/secrets.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

struct FakeSources {
  std::map<std::string, std::string> env;
  std::vector<std::string> prompts;
  std::string answer = "typed";
  SecretSources get(bool one_for_all = false, std::string key_file = "") {
    SecretSources s;
    s.env = [this](const std::string& n) -> std::optional<std::string> {
      auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    s.ask = [this](const std::string& p) {
      prompts.push_back(p);
      return answer + std::to_string(prompts.size());
    };
    s.one_for_all = one_for_all;
    s.key_file = std::move(key_file);
    return s;
  }
};

TEST(CollectSecretsWithFakeSources, PerDriveVariablesWinOverTheCommonOne) {
  FakeSources f;
  f.env = {{"ALFS_PASSPHRASE", "common"}, {"ALFS_PASSPHRASE2", "second"}};
  EXPECT_EQ(collect_secrets({"a.img", "b.img", "c.img"}, f.get()),
            (std::vector<std::string>{"common", "second", "common"}));
  EXPECT_TRUE(f.prompts.empty());
}

TEST(CollectSecretsWithFakeSources, AsksPerDriveOrOnceForAll) {
  FakeSources f;
  EXPECT_EQ(collect_secrets({"a.img", "b.img"}, f.get()), (std::vector<std::string>{"typed1", "typed2"}));
  EXPECT_EQ(f.prompts, (std::vector<std::string>{"Passphrase for a.img.\nEnter passphrase: ",
                                                 "Passphrase for b.img.\nEnter passphrase: "}));
  FakeSources once;
  EXPECT_EQ(collect_secrets({"a.img", "b.img"}, once.get(true)), (std::vector<std::string>{"typed1", "typed1"}));
  EXPECT_EQ(once.prompts, std::vector<std::string>{"One passphrase for all drives.\nEnter passphrase: "});
}

TEST(CollectSecretsWithFakeSources, AKeyFileUnlocksEveryDriveByteForByte) {
  TempDir dir("alfs-secrets");
  std::string key("\0key\nbytes", 10);
  write_file_atomic(dir.file("key"), key);
  FakeSources f;
  f.env = {{"ALFS_PASSPHRASE", "ignored"}};
  EXPECT_EQ(collect_secrets({"a", "b"}, f.get(false, dir.file("key"))), (std::vector<std::string>{key, key}));
  EXPECT_THROW(collect_secrets({"a"}, f.get(false, dir.file("missing"))), Error);
}

// A ZFS pool's passphrase is taken when given, never asked for (its encryption is only
// known inside the guest).
TEST(GivenSecretWithFakeSources, NeverAsks) {
  FakeSources f;
  EXPECT_EQ(given_secret(1, f.get()), std::nullopt);
  f.env = {{"ALFS_PASSPHRASE", "common"}, {"ALFS_PASSPHRASE2", "second"}};
  EXPECT_EQ(given_secret(1, f.get()), "common");
  EXPECT_EQ(given_secret(2, f.get()), "second");
  EXPECT_TRUE(f.prompts.empty());
}

TEST(ScrubEnvironment, TheNamedVariablesAreOverwrittenAndRemovedOthersStay) {
  ::setenv("ALFS_TEST_CAPTURED", "battery staple", 1);
  ::setenv("ALFS_TEST_CAPTURED_NOT", "kept", 1);
  char* value = std::getenv("ALFS_TEST_CAPTURED");
  scrub_environment({"ALFS_TEST_CAPTURED", "ALFS_TEST_UNSET"});
  EXPECT_EQ(std::getenv("ALFS_TEST_CAPTURED"), nullptr);
  EXPECT_EQ(std::string(value, 14), std::string(14, '\0')) << "the bytes themselves are gone";
  EXPECT_STREQ(std::getenv("ALFS_TEST_CAPTURED_NOT"), "kept") << "a name is matched whole, not as a prefix";
  ::unsetenv("ALFS_TEST_CAPTURED_NOT");
}

TEST(ScrubSecretEnvironment, ValuesAreOverwrittenAndRemoved) {
  ::setenv("ALFS_PASSPHRASE3", "hunter2", 1);
  char* value = std::getenv("ALFS_PASSPHRASE3");
  scrub_secret_environment();
  EXPECT_EQ(std::getenv("ALFS_PASSPHRASE3"), nullptr);
  EXPECT_EQ(std::string(value, 7), std::string(7, '\0')) << "the bytes themselves are gone";
}

}  // namespace
}  // namespace alfs
