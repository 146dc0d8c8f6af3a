#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

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
  EXPECT_EQ(c.backend, BackendKind::kAuto);
  EXPECT_TRUE(c.custom_packages.empty());
  EXPECT_FALSE(c.zfs);
}

TEST_F(ConfigTest, ReadsAllKeys) {
  std::string f = write("a.toml",
                        "[vm]\n"
                        "ram_size_mib = 2048\n"
                        "num_vcpus = 4\n"
                        "log_level = \"debug\"\n"
                        "backend = \"krun\"\n"
                        "[guest]\n"
                        "custom_packages = [\"btrfs-progs\", \"zfsutils-linux=2.1.11-1\"]\n"
                        "zfs = true\n"
                        "[share]\n"
                        "allow = [\"192.168.1.0/24\", \"10.0.0.7\"]\n");
  Config c = load_config({f});
  EXPECT_TRUE(c.zfs);
  EXPECT_THAT(c.share_allow, ElementsAre("192.168.1.0/24", "10.0.0.7"));
  EXPECT_EQ(c.ram_size_mib, 2048);
  EXPECT_EQ(c.num_vcpus, 4);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.backend, BackendKind::kKrun);
  EXPECT_THAT(c.custom_packages, ElementsAre("btrfs-progs", "zfsutils-linux=2.1.11-1"));
}

TEST_F(ConfigTest, ShareAllowTakesNetworksOnly) {
  try {
    load_config({write("a.toml", "[share]\nallow = [\"10.0.0.0/8\", \"lan\"]\n")});
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("element 2 of share.allow is not an IPv4 network (ADDR or ADDR/PREFIX): 'lan'"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(ConfigTest, LaterFilesWinKeyByKey) {
  std::string system = write("system.toml",
                             "[vm]\nram_size_mib = 1024\nnum_vcpus = 2\n"
                             "[guest]\ncustom_packages = [\"lvm2\", \"mdadm\"]\n");
  std::string user = write("user.toml", "vm.num_vcpus = 8\nguest.custom_packages = []\n");
  Config c = load_config({system, path("missing.toml"), user});
  EXPECT_EQ(c.ram_size_mib, 1024);  // from the system file
  EXPECT_EQ(c.num_vcpus, 8);        // the user's
  EXPECT_EQ(c.log_level, "info");   // neither
  EXPECT_TRUE(c.custom_packages.empty());
}

TEST_F(ConfigTest, OriginNamesTheFileOfEachValue) {
  std::string system = write("system.toml",
                             "[vm]\nram_size_mib = 1024\nnum_vcpus = 2\n"
                             "[custom_actions.a]\n[custom_actions.b]\n");
  std::string user = write("user.toml", "vm.num_vcpus = 8\n[custom_actions.b]\n");
  Config c = load_config({system, user});
  EXPECT_THAT(c.origin, UnorderedElementsAre(Pair("vm.ram_size_mib", system), Pair("vm.num_vcpus", user),
                                             Pair("custom_actions.a", system), Pair("custom_actions.b", user)));
  EXPECT_TRUE(load_config({path("missing.toml")}).origin.empty());
}

TEST_F(ConfigTest, ReadsCustomActions) {
  std::string f = write("a.toml",
                        "[custom_actions.backup-2]\n"
                        "description = \"rsync it\"\n"
                        "before_mount = \"echo before\"\n"
                        "after_mount = '''\n"
                        "cd \"$ALFS_VM_MOUNT_POINT\"\n"
                        "ls'''\n"
                        "before_unmount = \"sync\"\n"
                        "environment = [\"TARGET=/srv/x\", \"_EMPTY=\", \"A=b=c\"]\n"
                        "capture_environment = [\"HOME\", \"_x1\"]\n"
                        "override_nfs_export = \"/srv\"\n"
                        "nfs_export_subdirs = [\"ROOT\", \"home/ann\"]\n"
                        "required_os = \"linux\"\n"
                        "[custom_actions.minimal]\n"
                        "[vm]\nnum_vcpus = 3\n");
  Config c = load_config({f});
  EXPECT_EQ(c.num_vcpus, 3);
  ASSERT_EQ(c.custom_actions.size(), 2u);
  const CustomAction& a = c.custom_actions.at("backup-2");
  EXPECT_EQ(a.description, "rsync it");
  EXPECT_EQ(a.before_mount, "echo before");
  EXPECT_EQ(a.after_mount, "cd \"$ALFS_VM_MOUNT_POINT\"\nls");
  EXPECT_EQ(a.before_unmount, "sync");
  EXPECT_THAT(a.environment, ElementsAre("TARGET=/srv/x", "_EMPTY=", "A=b=c"));
  EXPECT_THAT(a.capture_environment, ElementsAre("HOME", "_x1"));
  EXPECT_EQ(a.override_nfs_export, "/srv");
  EXPECT_THAT(a.nfs_export_subdirs, ElementsAre("ROOT", "home/ann"));
  EXPECT_EQ(a.required_os, "linux");
  EXPECT_EQ(c.custom_actions.at("minimal"), CustomAction{});
}

TEST_F(ConfigTest, ALaterActionReplacesTheWholeAction) {
  std::string system = write("system.toml",
                             "[custom_actions.a]\ndescription = \"system\"\nbefore_mount = \"x\"\n"
                             "[custom_actions.b]\ndescription = \"kept\"\n");
  std::string user = write("user.toml", "[custom_actions.a]\nafter_mount = \"y\"\n");
  Config c = load_config({system, user});
  EXPECT_EQ(c.custom_actions.at("a"), (CustomAction{.after_mount = "y"}));
  EXPECT_EQ(c.custom_actions.at("b").description, "kept");
}

TEST_F(ConfigTest, CustomActionErrors) {
  const std::string file = path("config.toml");
  EXPECT_EQ(error_of("custom_actions = 1\n"), file + ":1: custom_actions must be a table");
  EXPECT_EQ(error_of("[custom_actions]\na = \"x\"\n"), file + ":2: custom_actions.a must be a table");
  EXPECT_EQ(error_of("[custom_actions.\"a b\"]\n"),
            file + ":1: custom action name 'a b' may only have letters, digits, '_' and '-'");
  EXPECT_EQ(error_of("[custom_actions.\"\"]\n"),
            file + ":1: custom action name '' may only have letters, digits, '_' and '-'");
  EXPECT_EQ(error_of("[custom_actions.a]\n\nbefore_mout = \"x\"\n"),
            file +
                ":3: unknown key custom_actions.a.before_mout (known: description, before_mount, after_mount, "
                "before_unmount, environment, capture_environment, override_nfs_export, nfs_export_subdirs, "
                "required_os)");
  EXPECT_EQ(error_of("[custom_actions.a]\ndescription = 1\n"),
            file + ":2: custom_actions.a.description must be a string");
  EXPECT_EQ(error_of("[custom_actions.a]\nbefore_unmount = [\"sync\"]\n"),
            file + ":2: custom_actions.a.before_unmount must be a string");
  EXPECT_EQ(error_of("[custom_actions.a]\nenvironment = \"A=1\"\n"),
            file + ":2: custom_actions.a.environment must be an array of strings");
  EXPECT_EQ(error_of("[custom_actions.a]\nenvironment = [\"A=1\",\n 2]\n"),
            file + ":3: element 2 of custom_actions.a.environment must be a string");
  for (const char* bad : {"A", "1A=x", "=x", "A-B=x"}) {
    EXPECT_EQ(error_of("[custom_actions.a]\nenvironment = [\"" + std::string(bad) + "\"]\n"),
              file + ":2: element 1 of custom_actions.a.environment is not NAME=value: '" + bad + "'");
  }
  EXPECT_EQ(error_of("[custom_actions.a]\ncapture_environment = [\"HOME\", \"MY VAR\"]\n"),
            file + ":2: element 2 of custom_actions.a.capture_environment is not a variable name: 'MY VAR'");
  EXPECT_EQ(error_of("[custom_actions.a]\ncapture_environment = [\"A=1\"]\n"),
            file + ":2: element 1 of custom_actions.a.capture_environment is not a variable name: 'A=1'");
  EXPECT_EQ(error_of("[custom_actions.a]\noverride_nfs_export = \"srv\"\n"),
            file + ":2: custom_actions.a.override_nfs_export must be an absolute path (got 'srv')");
  EXPECT_EQ(error_of("[custom_actions.a]\noverride_nfs_export = true\n"),
            file + ":2: custom_actions.a.override_nfs_export must be a string");
  for (const char* bad : {"/abs", "../up", "a/../b", "a//b", "", ".", "a/"}) {
    EXPECT_EQ(error_of("[custom_actions.a]\nnfs_export_subdirs = [\"" + std::string(bad) + "\"]\n"),
              file + ":2: element 1 of custom_actions.a.nfs_export_subdirs is not a relative path below the export: '" +
                  bad + "'");
  }
  EXPECT_EQ(error_of("[custom_actions.a]\nrequired_os = \"macos\"\n"),
            file + ":2: custom_actions.a.required_os must be \"linux\" or \"freebsd\" (got 'macos')");
}

// The example shipped for /etc/anylinuxfs.toml.
TEST(ShippedConfig, Loads) {
  Config c = load_config({ALFS_EXAMPLE_CONFIG});
  ASSERT_TRUE(c.custom_actions.contains("fsck"));
  EXPECT_FALSE(c.custom_actions.at("fsck").description.empty());
  EXPECT_FALSE(c.custom_actions.at("fsck").before_mount.empty());
}

TEST_F(ConfigTest, WrongTypeNamesFileLineAndKey) {
  EXPECT_EQ(error_of("[vm]\nnum_vcpus = 2\nram_size_mib = \"lots\"\n"),
            path("config.toml") + ":3: vm.ram_size_mib must be an integer");
  EXPECT_EQ(error_of("[vm]\nram_size_mib = 512.0\n"), path("config.toml") + ":2: vm.ram_size_mib must be an integer");
  EXPECT_EQ(error_of("[vm]\nlog_level = 3\n"),
            path("config.toml") + ":2: vm.log_level must be a string, one of error, warn, info, debug, trace");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = \"btrfs-progs\"\n"),
            path("config.toml") + ":2: guest.custom_packages must be an array of strings");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\n  \"lvm2\",\n  7,\n]\n"),
            path("config.toml") + ":4: element 2 of guest.custom_packages must be a string");
  EXPECT_EQ(error_of("vm = 3\n"), path("config.toml") + ":1: vm must be a table");
  EXPECT_EQ(error_of("[guest]\nzfs = \"yes\"\n"), path("config.toml") + ":2: guest.zfs must be true or false");
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
            path("config.toml") + ":2: vm.log_level must be one of error, warn, info, debug, trace (got 'verbose')");
  EXPECT_EQ(error_of("[vm]\nbackend = \"vbox\"\n"),
            path("config.toml") + ":2: vm.backend must be one of auto, qemu, krun (got 'vbox')");
  EXPECT_EQ(error_of("[vm]\nbackend = 1\n"),
            path("config.toml") + ":2: vm.backend must be a string, one of auto, qemu, krun");
  const std::string not_a_name =
      ":2: element 1 of guest.custom_packages is not a Debian package name (a name, not a .deb file): ";
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\"a b\"]\n"), path("config.toml") + not_a_name + "'a b'");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\"\"]\n"), path("config.toml") + not_a_name + "''");
  // apt-get would install a .deb file it is given a path to: names only.
  for (const char* deb : {"./x.deb", "/tmp/x.deb", "x.deb/", "Borg", "-x", "a", "zfs=/tmp/x.deb", "zfs=", "zfs=x"})
    EXPECT_EQ(error_of("[guest]\ncustom_packages = [\"" + std::string(deb) + "\"]\n"),
              path("config.toml") + not_a_name + "'" + deb + "'");
  EXPECT_EQ(error_of("[guest]\ncustom_packages = [\"borgbackup\", \"g++\", \"libc6.1-dev\", \"7zip\"]\n"),
            "(no error)");
  EXPECT_EQ(error_of("[vm]\nram_size_mib = 128\nnum_vcpus = 64\nlog_level = \"trace\"\n"), "(no error)");
  for (const char* backend : {"auto", "qemu", "krun"})
    EXPECT_EQ(error_of("[vm]\nbackend = \"" + std::string(backend) + "\"\n"), "(no error)");
}

TEST_F(ConfigTest, UnknownKeys) {
  EXPECT_EQ(error_of("[vm]\n\nramsize = 1\n"),
            path("config.toml") +
                ":3: unknown key vm.ramsize (known: ram_size_mib, num_vcpus, log_level, backend, instant_mount)");
  EXPECT_EQ(error_of("[guest]\npackages = []\n"),
            path("config.toml") + ":2: unknown key guest.packages (known: custom_packages, zfs)");
  EXPECT_EQ(error_of("[vn]\nnum_vcpus = 1\n"),
            path("config.toml") + ":1: unknown key vn (known: vm, guest, share, custom_actions)");
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
  ::unsetenv("ALFS_SYSTEM_CONFIG");
  EXPECT_THAT(default_config_files("/home/u"), ElementsAre("/etc/anylinuxfs.toml", "/home/u/.anylinuxfs/config.toml"));
  EXPECT_THAT(default_config_files("/home/u/"), ElementsAre("/etc/anylinuxfs.toml", "/home/u/.anylinuxfs/config.toml"));
  EXPECT_THAT(default_config_files(""), ElementsAre("/etc/anylinuxfs.toml"));
  EXPECT_EQ(user_config_file("/root"), "/root/.anylinuxfs/config.toml");
  ::setenv("ALFS_SYSTEM_CONFIG", "/srv/alfs.toml", 1);
  EXPECT_THAT(default_config_files("/home/u"), ElementsAre("/srv/alfs.toml", "/home/u/.anylinuxfs/config.toml"));
  ::unsetenv("ALFS_SYSTEM_CONFIG");
}

}  // namespace
TEST(BackendKind, RoundTripsItsNames) {
  for (auto kind : {BackendKind::kAuto, BackendKind::kQemu, BackendKind::kKrun})
    EXPECT_EQ(parse_backend_kind(to_string(kind)), kind);
  EXPECT_EQ(to_string(BackendKind::kKrun), "krun");
  EXPECT_THROW(parse_backend_kind("vbox"), Error);
}

}  // namespace alfs
