#include "image/image_archive.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "host/test_sudo.h"
#include "image/guest_image.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kKey = "0123456789abcdef";

class ImageArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(image);
    write_file_atomic(image + "/kernel", std::string(100000, 'k'));
    write_file_atomic(image + "/initrd.img", "initrd");
    write_file_atomic(image + "/rootfs.img", std::string(300000, 'r') + "end");
    write_file_atomic(image + "/manifest.txt", "format 2\narch x86_64\nkernel 6.12.0\nbuilt 2026-12-05T10:00:00Z\n");
    write_file_atomic(image + "/variant", "default\n");
  }
  // Every entry of the cache, to show an import left it as it was.
  std::vector<std::string> cache_entries() {
    std::vector<std::string> names;
    if (fs::exists(cache))
      for (const auto& e : fs::recursive_directory_iterator(cache)) names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string refusal(const std::string& file) {
    auto before = cache_entries();
    try {
      import_image(open_file(file, O_RDONLY).get(), file, cache);
    } catch (const Error& e) {
      EXPECT_EQ(cache_entries(), before) << "a refused import leaves the cache as it was";
      return e.what();
    }
    return "(imported)";
  }
  TempDir tmp{"alfs-archive-test"};
  std::string image = tmp.file(std::string("built/") + kKey);
  std::string cache = tmp.file("cache");
  std::string archive = tmp.file("image.tar.zst");
};

TEST(Sha256, OfAKnownText) {
  TempDir tmp("alfs-sha-test");
  write_file_atomic(tmp.file("abc"), "abc");
  EXPECT_EQ(sha256_file(tmp.file("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(ImageArchiveTest, AnExportedImageImportsWithEveryFileIntact) {
  export_image(image, archive);
  EXPECT_FALSE(fs::exists(archive + ".partial"));
  EXPECT_EQ(import_image(open_file(archive, O_RDONLY).get(), archive, cache), kKey);
  std::string dir = cache + "/" + kKey;
  for (const char* f : {"kernel", "initrd.img", "rootfs.img", "manifest.txt", "variant"})
    EXPECT_EQ(read_file(dir + "/" + f), read_file(image + "/" + f)) << f;
  EXPECT_TRUE(fs::exists(dir + "/imported"));
  EXPECT_FALSE(fs::exists(dir + "/SHA256SUMS"));
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, static_cast<fs::perms>(0755));
  // The cache serves it to a CLI whose own key differs, as long as the variant matches.
  auto usable = usable_image(cache, "ffffffffffffffff", false, "x86_64");
  ASSERT_TRUE(usable);
  EXPECT_EQ(usable->key, kKey);
  EXPECT_FALSE(usable_image(cache, "ffffffffffffffff", true, "x86_64")) << "not for the ZFS variant";
  EXPECT_FALSE(usable_image(cache, "ffffffffffffffff", false, "aarch64")) << "not for another architecture";
  EXPECT_EQ(refusal(archive), "cannot import " + archive + ": the cache already holds image " + kKey);
  remove_image(cache, kKey);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_THROW(remove_image(cache, kKey), Error);
}

TEST_F(ImageArchiveTest, ADamagedArchiveIsRefused) {
  export_image(image, archive);
  std::string bytes = read_file(archive);
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  write_file_atomic(tmp.file("flipped.tar.zst"), flipped);
  EXPECT_NE(refusal(tmp.file("flipped.tar.zst")).find("cannot import " + tmp.file("flipped.tar.zst") + ": "),
            std::string::npos);
  write_file_atomic(tmp.file("short.tar.zst"), bytes.substr(0, bytes.size() - 100));
  EXPECT_NE(refusal(tmp.file("short.tar.zst")), "(imported)");
  EXPECT_NE(refusal(tmp.file("missing.tar.zst")).find("missing.tar.zst"), std::string::npos);
}

TEST_F(ImageArchiveTest, AMemberThatDoesNotMatchItsSumIsNamed) {
  // An archive made as export makes it, but with rootfs.img changed after the sums.
  export_image(image, archive);
  TempDir unpacked("alfs-archive-test");
  ASSERT_TRUE(run_command({"tar", "--zstd", "-xf", archive, "-C", unpacked.path()}, 60s).ok());
  write_file_atomic(unpacked.file("rootfs.img"), "altered");
  std::vector<std::string> argv{"tar", "--zstd", "-cf", tmp.file("altered.tar.zst"), "-C", unpacked.path()};
  argv.insert(argv.end(), kArchiveMembers.begin(), kArchiveMembers.end());
  ASSERT_TRUE(run_command(argv, 60s).ok());
  EXPECT_EQ(refusal(tmp.file("altered.tar.zst")),
            "cannot import " + tmp.file("altered.tar.zst") + ": rootfs.img is damaged (its SHA-256 does not match)");
}

TEST_F(ImageArchiveTest, AForeignArchiveIsRefused) {
  ASSERT_TRUE(run_command({"tar", "--zstd", "-cf", tmp.file("other.tar.zst"), "-C", image, "kernel"}, 60s).ok());
  EXPECT_EQ(refusal(tmp.file("other.tar.zst")),
            "cannot import " + tmp.file("other.tar.zst") +
                ": it is not an anylinuxfs image archive (`image export` writes one)");
}

TEST_F(ImageArchiveTest, AnImageOfAnotherFormatIsRefusedWithWhatToDo) {
  write_file_atomic(image + "/manifest.txt", "kernel 6.1.0\n");  // format 1: the agent inside the root
  export_image(image, archive);
  EXPECT_EQ(refusal(archive), "cannot import " + archive +
                                  ": it is an image of format 1, and this anylinuxfs boots format 2; export one with "
                                  "this version, or build one with `anylinuxfs image build`");
}

TEST_F(ImageArchiveTest, TheSystemCacheServesOnlyAnImageThatIsRootsAlone) {
  if (::geteuid() != 0) GTEST_SKIP() << "the files must be root's";
  std::string system = tmp.file("var/image");
  fs::create_directories(system);
  export_image(image, archive);
  import_image(open_file(archive, O_RDONLY).get(), archive, system);
  auto trusted = trusted_system_image(system, "ffffffffffffffff", false, "x86_64");
  ASSERT_TRUE(trusted);
  EXPECT_EQ(trusted->key, kKey);
  EXPECT_FALSE(trusted_system_image("", "ffffffffffffffff", false, "x86_64")) << "no system cache";
  // Anything another user could have written keeps it from every user's mounts.
  for (const std::string& path : {system, system + "/" + kKey, system + "/" + kKey + "/rootfs.img"}) {
    fs::permissions(path, fs::perms::group_write, fs::perm_options::add);
    EXPECT_FALSE(trusted_system_image(system, "ffffffffffffffff", false, "x86_64")) << path;
    fs::permissions(path, fs::perms::group_write, fs::perm_options::remove);
  }
  ASSERT_EQ(::chown((system + "/" + kKey + "/kernel").c_str(), 1000, 1000), 0);
  EXPECT_FALSE(trusted_system_image(system, "ffffffffffffffff", false, "x86_64")) << "a user's kernel";
  ASSERT_EQ(::chown((system + "/" + kKey + "/kernel").c_str(), 0, 0), 0);
  fs::rename(system + "/" + kKey + "/initrd.img", tmp.file("initrd.img"));
  fs::create_symlink(tmp.file("initrd.img"), system + "/" + kKey + "/initrd.img");
  EXPECT_FALSE(trusted_system_image(system, "ffffffffffffffff", false, "x86_64")) << "a symlink";
}

// Under sudo, tar reads the user's image as the user: root must not follow a link the user
// swaps into their cache between the sums and the archive. (A tar on PATH that records
// who runs it, then runs the real one.)
TEST_F(ImageArchiveTest, UnderSudoTarRunsAsTheUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "acting for another user needs root";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  fs::create_directories(tmp.file("bin"));
  write_file_atomic(tmp.file("bin/tar"), "#!/bin/sh\nid -u > " + tmp.file("tar-uid") + "\nexec /bin/tar \"$@\"\n",
                    0755);
  write_file_atomic(tmp.file("tar-uid"), "", 0666);
  for (const auto& p : fs::recursive_directory_iterator(tmp.path()))
    ASSERT_EQ(::chown(p.path().c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ::chmod(tmp.path().c_str(), 0755);
  ::chown(tmp.path().c_str(), nobody->pw_uid, nobody->pw_gid);
  EXPECT_EQ(test_sudo::exit_code_of([&] {
              ::setenv("PATH", (tmp.file("bin") + ":/usr/bin:/bin").c_str(), 1);
              export_image(image, archive);
              test_sudo::check(read_file(tmp.file("tar-uid")) == std::to_string(nobody->pw_uid) + "\n",
                               "tar ran as " + read_file(tmp.file("tar-uid")));
            }),
            0);
}

}  // namespace
}  // namespace alfs
