#include "host/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/temp_dir.h"
#include "common/fd.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_.file(name);
    write_file_atomic(path, text);
    return path;
  }

  // The error loading `text` gives, or "(no error)".
  std::string error_of(const std::string& text) {
    std::string path = write("config.toml", text);
    try {
      load_config({path});
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::string path(const std::string& name) { return dir_.file(name); }

  TempDir dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFiles) {
  Config c = load_config({path("missing.toml"), path("also-missing.toml")});
  EXPECT_EQ(c.ram_size_mib, 512);
  EXPECT_EQ(c.num_vcpus, 1);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_TRUE(c.custom_packages.empty());
}

TEST_F(ConfigTest, ReadsAllKeys) {
  std::string f = write("a.toml",
                        "[vm]\n"
                        "ram_size_mib = 2048\n"
                        "num_vcpus = 4\n"
                        "log_level = \"debug\"\n"
                        "[guest]\n"
                        "custom_packages = [\"btrfs-progs\", \"zfsutils-linux=2.1.11-1\"]\n");
  Config c = load_config({f});
  EXPECT_EQ(c.ram_size_mib, 2048);
  EXPECT_EQ(c.num_vcpus, 4);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_THAT(c.custom_packages, ElementsAre("btrfs-progs", "zfsutils-linux=2.1.11-1"));
}

TEST_F(ConfigTest, LaterFilesWinKeyByKey) {
  std::string system = write("system.toml",
                             "[vm]\nram_size_mib = 1024\nnum_vcpus = 2\n"
                             "[guest]\ncustom_packages = [\"a\", \"b\"]\n");
  std::string user = write("user.toml", "vm.num_vcpus = 8\nguest.custom_packages = []\n");
  Config c = load_config({system, path("missing.toml"), user});
  EXPECT_EQ(c.ram_size_mib, 1024);  // from the system file
  EXPECT_EQ(c.num_vcpus, 8);        // the user's
  EXPECT_EQ(c.log_level, "info");   // neither
  EXPECT_TRUE(c.custom_packages.empty());
}

TEST_F(ConfigTest, CustomActionsAreAcceptedForNow) {
  std::string f = write("a.toml",
                        "[custom_actions.backup]\n"
                        "description = \"rsync it\"\n"
                        "before_unmount = \"sync\"\n"
                        "[vm]\nnum_vcpus = 3\n");
  EXPECT_EQ(load_config({f}).num_vcpus, 3);
}

TEST_F(ConfigTest, WrongTypeNamesFileLineAndKey) {
  EXPECT_EQ(error_of("[vm]\nnum_vcpus = 2\nram_size_mib = \"lots\"\n"),
            path("config.toml") + ":3: vm.ram_size_mib must be an integer");
  EXPECT_EQ(error_of("[vm]\nram_size_mib = 512.0\n"),
            path("config.toml") + ":2: vm.ram_size_mib must be an integer");
  EXPECT_EQ(
      error_of("[vm]\nlog_level = 3\n"),
      path("config.toml") + ":2: vm.log_level must be a string, one of error, warn, info, debug, trace");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = \"btrfs-progs\"\n"),
            path("config.toml") + ":2: guest.custom_packages must be an array of strings");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\n  \"a\",\n  7,\n]\n"),
            path("config.toml") + ":4: element 2 of guest.custom_packages must be a string");
  EXPECT_EQ(error_of("vm = 3\n"), path("config.toml") + ":1: vm must be a table");
}

TEST_F(ConfigTest, OutOfRange) {
  EXPECT_EQ(error_of("[vm]\nram_size_mib = 64\n"),
            path("config.toml") + ":2: vm.ram_size_mib must be between 128 and 65536 (got 64)");
  EXPECT_EQ(error_of("[vm]\nram_size_mib = 9999999999999\n"),
            path("config.toml") + ":2: vm.ram_size_mib must be between 128 and 65536 (got 9999999999999)");
  EXPECT_EQ(error_of("[vm]\nnum_vcpus = 0\n"),
            path("config.toml") + ":2: vm.num_vcpus must be between 1 and 64 (got 0)");
  EXPECT_EQ(error_of("[vm]\nnum_vcpus = 65\n"),
            path("config.toml") + ":2: vm.num_vcpus must be between 1 and 64 (got 65)");
  EXPECT_EQ(error_of("[vm]\nlog_level = \"verbose\"\n"),
            path("config.toml") +
                ":2: vm.log_level must be one of error, warn, info, debug, trace (got 'verbose')");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\"a b\"]\n"),
            path("config.toml") + ":2: element 1 of guest.custom_packages is not a package name: 'a b'");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\"\"]\n"),
            path("config.toml") + ":2: element 1 of guest.custom_packages is not a package name: ''");
  EXPECT_EQ(error_of("[vm]\nram_size_mib = 128\nnum_vcpus = 64\nlog_level = \"trace\"\n"), "(no error)");
}

TEST_F(ConfigTest, UnknownKeys) {
  EXPECT_EQ(error_of("[vm]\n\nramsize = 1\n"),
            path("config.toml") + ":3: unknown key vm.ramsize (known: ram_size_mib, num_vcpus, log_level)");
  EXPECT_EQ(error_of("[guest]\npackages = []\n"),
            path("config.toml") + ":2: unknown key guest.packages (known: custom_packages)");
  EXPECT_EQ(error_of("[vn]\nnum_vcpus = 1\n"),
            path("config.toml") + ":1: unknown key vn (known: vm, guest, custom_actions)");
}

TEST_F(ConfigTest, SyntaxErrorsCarryLineAndColumn) {
  std::string message = error_of("[vm]\nnum_vcpus = 2\nram_size_mib = = 3\n");
  EXPECT_THAT(message, StartsWith(path("config.toml") + ":3:"));
  EXPECT_THAT(message, ::testing::MatchesRegex(".*:3:[0-9]+: .+"));
  EXPECT_THAT(error_of("[vm]\nnum_vcpus = 1\nnum_vcpus = 2\n"), StartsWith(path("config.toml") + ":3:"));
}

TEST_F(ConfigTest, ErrorInTheSecondFileNamesIt) {
  std::string good = write("system.toml", "[vm]\nnum_vcpus = 2\n");
  std::string bad = write("user.toml", "[vm]\nnum_vcpus = \"two\"\n");
  try {
    load_config({good, bad});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), bad + ":2: vm.num_vcpus must be an integer");
  }
}

TEST_F(ConfigTest, UnreadableFileIsAnError) {
  fs::create_directory(path("dir.toml"));
  try {
    load_config({path("dir.toml")});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(path("dir.toml")));
    EXPECT_THAT(e.what(), HasSubstr("Is a directory"));
  }
}

TEST(ConfigFiles, DefaultFiles) {
  EXPECT_THAT(default_config_files("/home/u"),
              ElementsAre("/etc/anylinuxfs.toml", "/home/u/.anylinuxfs/config.toml"));
  EXPECT_THAT(default_config_files("/home/u/"),
              ElementsAre("/etc/anylinuxfs.toml", "/home/u/.anylinuxfs/config.toml"));
  EXPECT_THAT(default_config_files(""), ElementsAre("/etc/anylinuxfs.toml"));
}

}  // namespace
}  // namespace alfs
