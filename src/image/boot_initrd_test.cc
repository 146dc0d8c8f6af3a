#include "image/boot_initrd.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;

TEST(BootInitrd, TheAgentsArchiveUnpacksWithCpio) {
  TempDir tmp("alfs-initrd-test");
  std::string content =
      "\x7f"
      "ELF and 13 odd bytes";
  write_file_atomic(tmp.file("agent.cpio"), newc_archive(kInitrdAgentName, content, 0755));
  std::string archive = read_file(tmp.file("agent.cpio"));
  EXPECT_EQ(archive.size() % 4, 0u);
  EXPECT_EQ(archive.substr(0, 6), "070701");
  RunResult r = run_command(
      {"sh", "-c", "cd \"$1\" && mkdir out && cd out && cpio --quiet -i < ../agent.cpio", "sh", tmp.path()}, 30s);
  ASSERT_TRUE(r.ok()) << r.output;
  std::string unpacked = tmp.file("out/" + std::string(kInitrdAgentName));
  EXPECT_EQ(read_file(unpacked), content);
  struct stat st {};
  ASSERT_EQ(::stat(unpacked.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST(BootInitrd, AnArchiveOfDirectoriesAndFilesUnpacksWithCpio) {
  TempDir tmp("alfs-initrd-test");
  NewcArchive archive;
  archive.add_directory("debs");
  archive.add_file("debs/a.deb", "first", 0644);
  archive.add_file("init", "#!/bin/sh\n", 0755);
  write_file_atomic(tmp.file("all.cpio"), archive.finish());
  RunResult r = run_command(
      {"sh", "-c", "cd \"$1\" && mkdir out && cd out && cpio --quiet -i < ../all.cpio", "sh", tmp.path()}, 30s);
  ASSERT_TRUE(r.ok()) << r.output;
  EXPECT_TRUE(std::filesystem::is_directory(tmp.file("out/debs")));
  EXPECT_EQ(read_file(tmp.file("out/debs/a.deb")), "first");
  EXPECT_EQ(read_file(tmp.file("out/init")), "#!/bin/sh\n");
  struct stat st {};
  ASSERT_EQ(::stat(tmp.file("out/init").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST(BootInitrd, TheBootInitrdIsTheImagesThenTheAgents) {
  TempDir tmp("alfs-initrd-test");
  std::string image_initrd(1024, 'i');
  write_file_atomic(tmp.file("image-initrd"), image_initrd);
  write_file_atomic(tmp.file("agent"), "agent");
  std::filesystem::create_directory(tmp.file("boot"));
  std::string path = write_boot_initrd(tmp.file("image-initrd"), tmp.file("agent"), tmp.file("boot"));
  EXPECT_EQ(path, tmp.file("boot/initrd.img"));
  EXPECT_EQ(read_file(path), image_initrd + newc_archive(kInitrdAgentName, "agent", 0755));
  // Made anew, never over what is there (a planted symlink or an earlier file).
  EXPECT_THROW(write_boot_initrd(tmp.file("image-initrd"), tmp.file("agent"), tmp.file("boot")), SystemError);
}

TEST(BootInitrd, AMissingAgentIsNamed) {
  TempDir tmp("alfs-initrd-test");
  write_file_atomic(tmp.file("image-initrd"), "x");
  try {
    write_boot_initrd(tmp.file("image-initrd"), tmp.file("no-agent"), tmp.path());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp.file("no-agent")), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace alfs
