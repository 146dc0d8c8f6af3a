#include "config/config_edit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

using ::testing::HasSubstr;

std::string set(std::string_view text, const std::string& key, const std::string& value) {
  return set_toml_value(text, "config.toml", "vm", key, value);
}

TEST(SetTomlValue, ReplacesAnExistingValueKeepingItsComment) {
  EXPECT_EQ(set("# mine\n[vm]\nnum_vcpus = 2   # two is plenty\nram_size_mib = 1024\n", "num_vcpus", "4"),
            "# mine\n[vm]\nnum_vcpus = 4   # two is plenty\nram_size_mib = 1024\n");
  EXPECT_EQ(set("[vm]\nlog_level='warn'#quiet\n", "log_level", "\"debug\""), "[vm]\nlog_level=\"debug\"#quiet\n");
  EXPECT_EQ(set("[vm]\nnum_vcpus = 2", "num_vcpus", "16"), "[vm]\nnum_vcpus = 16");
}

TEST(SetTomlValue, PositionsCountCodePointsAndTabs) {
  EXPECT_EQ(set("[vm]\n# ünïcödé\n\tlog_level = \"wärn\" # é\nnum_vcpus = 1\n", "log_level", "\"info\""),
            "[vm]\n# ünïcödé\n\tlog_level = \"info\" # é\nnum_vcpus = 1\n");
}

TEST(SetTomlValue, ReplacesAValueOverSeveralLines) {
  EXPECT_EQ(set_toml_value("[guest]\ncustom_packages = [\n  \"a\",  # one\n  \"b\",\n]  # end\n[vm]\n", "f", "guest",
                           "custom_packages", "[\"c\"]"),
            "[guest]\ncustom_packages = [\"c\"]  # end\n[vm]\n");
}

TEST(SetTomlValue, AddsAMissingKeyAfterTheTablesLastValue) {
  EXPECT_EQ(set("# top\n[vm]  # the VM\nram_size_mib = 1024\n\n# packages\n[guest]\ncustom_packages = []\n",
                "num_vcpus", "4"),
            "# top\n[vm]  # the VM\nram_size_mib = 1024\nnum_vcpus = 4\n\n# packages\n[guest]\ncustom_packages = []\n");
  EXPECT_EQ(set("[vm]\nlog_level = \"\"\"\ninfo\"\"\"  # x\n[guest]\n", "num_vcpus", "4"),
            "[vm]\nlog_level = \"\"\"\ninfo\"\"\"  # x\nnum_vcpus = 4\n[guest]\n");
  // Keys added one after the other keep their order.
  EXPECT_EQ(set(set("[vm]\nram_size_mib = 1024\n", "num_vcpus", "4"), "log_level", "\"warn\""),
            "[vm]\nram_size_mib = 1024\nnum_vcpus = 4\nlog_level = \"warn\"\n");
  // A sub-table's values are not [vm]'s.
  EXPECT_EQ(set("[vm]\nram_size_mib = 1024\n[vm.sub]\nx = 1\n[[vm.list]]\ny = 2\n", "num_vcpus", "4"),
            "[vm]\nram_size_mib = 1024\nnum_vcpus = 4\n[vm.sub]\nx = 1\n[[vm.list]]\ny = 2\n");
}

TEST(SetTomlValue, AddsAMissingKeyAfterTheHeaderOfAnEmptyTable) {
  EXPECT_EQ(set("# top\n[vm]  # the VM\n\n[guest]\n", "num_vcpus", "4"),
            "# top\n[vm]  # the VM\nnum_vcpus = 4\n\n[guest]\n");
  EXPECT_EQ(set("[ vm ]\n", "num_vcpus", "4"), "[ vm ]\nnum_vcpus = 4\n");
  EXPECT_EQ(set("[\"vm\"]\n", "num_vcpus", "4"), "[\"vm\"]\nnum_vcpus = 4\n");
  EXPECT_EQ(set("[vm]", "num_vcpus", "4"), "[vm]\nnum_vcpus = 4\n");
}

TEST(SetTomlValue, AppendsAMissingTable) {
  EXPECT_EQ(set("", "num_vcpus", "4"), "[vm]\nnum_vcpus = 4\n");
  EXPECT_EQ(set("# only a comment\n", "num_vcpus", "4"), "# only a comment\n\n[vm]\nnum_vcpus = 4\n");
  EXPECT_EQ(set("[guest]\ncustom_packages = []", "num_vcpus", "4"),
            "[guest]\ncustom_packages = []\n\n[vm]\nnum_vcpus = 4\n");
  // [vm.x] implies vm; a [vm] header after it is still allowed.
  EXPECT_EQ(set("[vm.x]\ny = 1\n", "num_vcpus", "4"), "[vm.x]\ny = 1\n\n[vm]\nnum_vcpus = 4\n");
}

TEST(SetTomlValue, LeavesOtherTablesAlone) {
  std::string text =
      "[custom_actions.a]\n"
      "num_vcpus = 1\n"
      "before_mount = \"\"\"\n"
      "[vm]\n"
      "num_vcpus = 2\n"
      "\"\"\"\n"
      "[vm]\n"
      "num_vcpus = 3 # here\n"
      "[guest]\n"
      "num_vcpus = 4\n";
  std::string expected = text;
  expected.replace(expected.find("num_vcpus = 3"), 13, "num_vcpus = 8");
  EXPECT_EQ(set(text, "num_vcpus", "8"), expected);

  // Missing from [vm] but present elsewhere: added to [vm] only.
  EXPECT_EQ(set("[guest]\nnum_vcpus = 4\n[vm]\n[custom_actions.a]\nnum_vcpus = 1\n", "num_vcpus", "8"),
            "[guest]\nnum_vcpus = 4\n[vm]\nnum_vcpus = 8\n[custom_actions.a]\nnum_vcpus = 1\n");
}

TEST(SetTomlValue, DottedKeys) {
  EXPECT_EQ(set("vm.num_vcpus = 2 # two\n[guest]\n", "num_vcpus", "4"), "vm.num_vcpus = 4 # two\n[guest]\n");
  EXPECT_EQ(set("vm.num_vcpus = 2 # two\nguest.custom_packages = []\nvm.ram_size_mib = 1024\n[custom_actions.a]\n",
                "log_level", "\"warn\""),
            "vm.num_vcpus = 2 # two\nguest.custom_packages = []\nvm.ram_size_mib = 1024\nvm.log_level = \"warn\"\n"
            "[custom_actions.a]\n");
  EXPECT_EQ(set("vm.num_vcpus = 2", "log_level", "\"warn\""), "vm.num_vcpus = 2\nvm.log_level = \"warn\"\n");
}

TEST(SetTomlValue, InlineTables) {
  EXPECT_EQ(set("vm = { num_vcpus = 2, ram_size_mib = 1024 }\n", "num_vcpus", "4"),
            "vm = { num_vcpus = 4, ram_size_mib = 1024 }\n");
  EXPECT_THROW(set("vm = { num_vcpus = 2 }\n", "log_level", "\"warn\""), Error);
}

TEST(SetTomlValue, Errors) {
  try {
    set("[vm]\nnum_vcpus = = 2\n", "num_vcpus", "4");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("config.toml:2:"));
  }
  try {
    set("vm = 3\n", "num_vcpus", "4");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "config.toml: vm is not a table");
  }
  try {
    set("vm = {}\n", "num_vcpus", "4");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("inline table vm"));
  }
}

// Found by fuzz/config_fuzz.cc: the key named a table (of dotted keys, or with a header of
// its own), whose text was replaced by the value, garbling the file.
TEST(SetTomlValue, AKeyThatIsATableIsAnError) {
  for (std::string text : {"vm.log_level.x = 'warn'\n", "[vm.log_level]\nx = 1\n", "[[vm.log_level]]\nx = 1\n"}) {
    try {
      set(text, "log_level", "\"debug\"");
      FAIL() << "expected an error for " << text;
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "config.toml: cannot set vm.log_level: it is a table, not a value") << text;
    }
  }
  // An inline table is one value: replaced as any other.
  EXPECT_EQ(set("vm.log_level = { x = 1 } # was\n", "log_level", "\"debug\""), "vm.log_level = \"debug\" # was\n");
}

// Found by fuzz/config_fuzz.cc: the values of a sub-table made of dotted keys did not
// count, so a new key could land inside one written over several lines.
TEST(SetTomlValue, ValuesOfDottedSubTablesCount) {
  EXPECT_EQ(set("vm.extra.list = [\n  1,\n]\n", "num_vcpus", "4"), "vm.extra.list = [\n  1,\n]\nvm.num_vcpus = 4\n");
  EXPECT_EQ(set("[vm]\nextra.list = [\n  1,\n]\n[vm.sub]\nx = 1\n", "num_vcpus", "4"),
            "[vm]\nextra.list = [\n  1,\n]\nnum_vcpus = 4\n[vm.sub]\nx = 1\n");
}

TEST(TomlString, QuotesAndEscapes) {
  EXPECT_EQ(toml_string("info"), "\"info\"");
  EXPECT_EQ(toml_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
}

TEST(DescribeConfig, ValuesWithTheirOrigins) {
  Config c;
  c.num_vcpus = 2;
  c.custom_packages = {"btrfs-progs", "zstd"};
  c.origin = {{"vm.num_vcpus", "/root/.anylinuxfs/config.toml"}, {"guest.custom_packages", "/etc/anylinuxfs.toml"}};
  c.custom_actions = {{"a", {}}, {"b", {}}};
  EXPECT_EQ(describe_config(c),
            "vm.ram_size_mib = 512                             # default\n"
            "vm.num_vcpus = 2                                  # /root/.anylinuxfs/config.toml\n"
            "vm.log_level = \"info\"                             # default\n"
            "vm.backend = \"auto\"                               # default\n"
            "vm.instant_mount = true                           # default\n"
            "guest.custom_packages = [\"btrfs-progs\", \"zstd\"]   # /etc/anylinuxfs.toml\n"
            "guest.zfs = false                                 # default\n"
            "custom_actions: 2 (see `anylinuxfs actions`)\n");
  EXPECT_EQ(describe_config(Config{}),
            "vm.ram_size_mib = 512        # default\n"
            "vm.num_vcpus = 1             # default\n"
            "vm.log_level = \"info\"        # default\n"
            "vm.backend = \"auto\"          # default\n"
            "vm.instant_mount = true      # default\n"
            "guest.custom_packages = []   # default\n"
            "guest.zfs = false            # default\n"
            "custom_actions: 0 (see `anylinuxfs actions`)\n");
}

}  // namespace
}  // namespace alfs
