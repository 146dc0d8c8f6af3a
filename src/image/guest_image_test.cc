#include "image/guest_image.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>

#include "common/error.h"
#include "common/fd.h"
#include "common/temp_dir.h"
#include "config/paths.h"
#include "host/test_sudo.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

// An environment variable's value for a test's life.
struct ScopedEnv {
  ScopedEnv(std::string name, const std::string& value) : name(std::move(name)) {
    if (const char* old = std::getenv(this->name.c_str())) saved = old;
    ::setenv(this->name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (saved)
      ::setenv(name.c_str(), saved->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
  std::string name;
  std::optional<std::string> saved;
};

// In a test_sudo child run as root: becomes nobody, a user without root.
void become_nobody_if_root(const passwd& nobody) {
  if (::geteuid() == 0)
    test_sudo::check(::setgroups(0, nullptr) == 0 && ::setgid(nobody.pw_gid) == 0 && ::setuid(nobody.pw_uid) == 0,
                     "became nobody");
}

class GuestImageTest : public ::testing::Test {
 protected:
  // An installation whose build script is `script`, for a user `owner` whose home (and
  // ~/.anylinuxfs) is theirs; the image cache is `image_root` ("": ~/.anylinuxfs/image).
  Paths fake_install(const std::string& script, uid_t uid, gid_t gid, const std::string& image_root = "") {
    Paths paths;
    paths.owner_uid = uid;
    paths.owner_gid = gid;
    paths.home = (dir / "home").string();
    paths.data_dir = paths.home + "/.anylinuxfs";
    paths.image_root = image_root.empty() ? paths.data_dir + "/image" : image_root;
    paths.share_dir = (dir / "share").string();
    fs::create_directories(paths.data_dir);
    fs::create_directories(paths.share_dir);
    for (const auto& d : {paths.home, paths.data_dir}) EXPECT_EQ(::chown(d.c_str(), uid, gid), 0);
    write_file_atomic(paths.share_dir + "/guest-packages.txt", "kmod\n");
    // Asked with --check, the fake can build here unless it answers that itself first.
    write_file_atomic(paths.share_dir + "/build-guest-image.sh",
                      (script.starts_with("[ \"$1\" = --check ]") ? "" : "[ \"$1\" != --check ] || exit 0\n") + script);
    return paths;
  }
  void SetUp() override {
    inputs = {(dir / "build.sh").string(), (dir / "packages.txt").string()};
    write_file_atomic(inputs.build_script, "script");
    write_file_atomic(inputs.package_list, "kmod\n");
  }
  TempDir tmp{"alfs-image-test"};
  fs::path dir = tmp.path();
  ImageInputs inputs;
};

TEST_F(GuestImageTest, KeyChangesWithEveryInput) {
  std::string k1 = image_key(inputs);
  EXPECT_EQ(k1.size(), 16u);
  EXPECT_EQ(image_key(inputs), k1) << "the key is a pure function of the contents";
  write_file_atomic(inputs.build_script, "script v2");
  std::string k2 = image_key(inputs);
  EXPECT_NE(k2, k1);
  write_file_atomic(inputs.package_list, "kmod\nlvm2\n");
  std::string k3 = image_key(inputs);
  EXPECT_NE(k3, k2);
  inputs.extra_packages = {"borgbackup"};
  std::string k4 = image_key(inputs);
  EXPECT_NE(k4, k3) << "a package the user added";
  inputs.ca_bundle = "-----BEGIN CERTIFICATE-----\n";
  std::string k5 = image_key(inputs);
  EXPECT_NE(k5, k4) << "the user's CA bundle";
  inputs.zfs = true;
  std::string k6 = image_key(inputs);
  EXPECT_NE(k6, k5) << "the ZFS variant";
  inputs.arch = {"aarch64", false};
  EXPECT_EQ(image_key(inputs), k6) << "the machine's own architecture leaves the key as it was";
  inputs.arch.foreign = true;
  EXPECT_NE(image_key(inputs), k6) << "a foreign architecture";
}

TEST_F(GuestImageTest, MissingInputIsANamedError) {
  fs::remove(inputs.package_list);
  try {
    image_key(inputs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("packages.txt"), std::string::npos);
  }
}

TEST_F(GuestImageTest, AnIncompleteImageIsNotFound) {
  fs::create_directories(dir / "root" / "k");
  write_file_atomic((dir / "root/k/kernel").string(), "k");
  write_file_atomic((dir / "root/k/initrd.img").string(), "i");
  EXPECT_FALSE(find_image((dir / "root").string(), "k").has_value());
  write_file_atomic((dir / "root/k/rootfs.img").string(), "r");
  auto image = find_image((dir / "root").string(), "k");
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->rootfs, (dir / "root/k/rootfs.img").string());
}

// ensure_guest_image with a fake build script that makes empty image files: which
// images a build keeps beside itself.
TEST_F(GuestImageTest, ABuildWithAFakeScriptKeepsTheOtherVariantsImage) {
  Paths paths = fake_install(
      "mkdir -p \"$1\" && for f in kernel initrd.img rootfs.img manifest.txt; do : > \"$1/$f\"; done\n"
      "echo \"$ALFS_WITH_ZFS\" > \"$1/zfs\"\n",
      ::getuid(), ::getgid(), (dir / "images").string());
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  // An image of an older build (no variant file: the default) and the ZFS module cache.
  fs::create_directories(paths.image_root + "/0000000000000000");
  write_file_atomic(paths.image_root + "/0000000000000000/manifest.txt", "old");
  fs::create_directories(paths.image_root + "/zfs-modules");
  UniqueFd null = open_file("/dev/null", O_WRONLY);

  GuestImage plain = ensure_guest_image(paths, false, null.get());
  EXPECT_EQ(read_file(plain.dir + "/zfs"), "0\n");
  EXPECT_FALSE(fs::exists(paths.image_root + "/0000000000000000")) << "an older default image goes";
  write_file_atomic(paths.data_dir + "/config.toml", "[guest]\nzfs = true\n");
  GuestImage zfs = ensure_guest_image(paths, false, null.get());
  EXPECT_NE(zfs.key, plain.key);
  EXPECT_EQ(read_file(zfs.dir + "/zfs"), "1\n");
  EXPECT_TRUE(fs::exists(plain.dir + "/rootfs.img")) << "the default image stays beside the ZFS one";
  EXPECT_TRUE(fs::exists(paths.image_root + "/zfs-modules")) << "the module cache is no image";
  write_file_atomic(paths.data_dir + "/config.toml", "[guest]\nzfs = false\n");
  EXPECT_EQ(ensure_guest_image(paths, false, null.get()).dir, plain.dir);
  EXPECT_TRUE(fs::exists(zfs.dir + "/rootfs.img"));
  // A mount of a pool asks for the ZFS variant whatever the config says.
  EXPECT_EQ(ensure_guest_image(paths, false, null.get(), /*zfs=*/true).dir, zfs.dir);
  EXPECT_EQ(built_guest_image(paths, /*zfs=*/true).dir, zfs.dir);
}

// The image of a foreign architecture ($ALFS_GUEST_ARCH) is another image: neither build
// removes the other's, and each is found again without a build.
TEST_F(GuestImageTest, TheArchitecturesKeepAnImageEach) {
  Paths paths = fake_install(
      "mkdir -p \"$1\" && for f in kernel initrd.img rootfs.img; do : > \"$1/$f\"; done\n"
      "echo \"arch $ALFS_GUEST_ARCH\" > \"$1/manifest.txt\"; echo built >> '" +
          (dir / "builds").string() + "'\n",
      ::getuid(), ::getgid(), (dir / "images").string());
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  UniqueFd null = open_file("/dev/null", O_WRONLY);
  std::string native = guest_arch().name, foreign = native == "x86_64" ? "aarch64" : "x86_64";
  ::unsetenv("ALFS_GUEST_ARCH");
  GuestImage own = ensure_guest_image(paths, false, null.get());
  ::setenv("ALFS_GUEST_ARCH", foreign.c_str(), 1);
  GuestImage other = ensure_guest_image(paths, false, null.get());
  EXPECT_NE(other.key, own.key);
  EXPECT_EQ(read_file(other.dir + "/manifest.txt"), "arch " + foreign + "\n") << "the script is told the arch";
  EXPECT_TRUE(fs::exists(own.dir + "/rootfs.img")) << "the machine's image stays";
  ::unsetenv("ALFS_GUEST_ARCH");
  EXPECT_EQ(ensure_guest_image(paths, false, null.get()).dir, own.dir);
  EXPECT_TRUE(fs::exists(other.dir + "/rootfs.img")) << "the foreign image stays";
  EXPECT_EQ(read_file((dir / "builds").string()), "built\nbuilt\n") << "two builds, not more";
}

// The two variants build side by side (a ZFS build takes many minutes): a build of one
// neither waits for the other's lock nor removes the other's unfinished directory.
TEST_F(GuestImageTest, TheVariantsBuildSideBySide) {
  Paths paths =
      fake_install("mkdir -p \"$1\" && for f in kernel initrd.img rootfs.img manifest.txt; do : > \"$1/$f\"; done\n",
                   ::getuid(), ::getgid(), (dir / "images").string());
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  fs::create_directories(paths.image_root + "/ffffffffffffffff.partial");
  write_file_atomic(paths.image_root + "/ffffffffffffffff.partial/manifest.txt", "the ZFS build, unfinished");
  UniqueFd null = open_file("/dev/null", O_WRONLY);
  UniqueFd zfs_build = open_file(paths.image_root + "/.build-zfs.lock", O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(::flock(zfs_build.get(), LOCK_EX | LOCK_NB), 0);

  auto plain = std::async(std::launch::async, [&] { return ensure_guest_image(paths, false, null.get()); });
  const bool done = plain.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  ::flock(zfs_build.get(), LOCK_UN);  // lets a build that waited finish, so the test ends
  ASSERT_TRUE(done) << "the default build waited for the ZFS build's lock";
  EXPECT_TRUE(fs::exists(plain.get().dir + "/rootfs.img"));
  EXPECT_TRUE(fs::exists(paths.image_root + "/ffffffffffffffff.partial/manifest.txt"))
      << "the default build removed the ZFS build's directory";

  // A second build of the same variant waits for the first, saying so, then finds its image.
  UniqueFd default_build = open_file(paths.image_root + "/.build-default.lock", O_RDWR);
  ASSERT_EQ(::flock(default_build.get(), LOCK_EX | LOCK_NB), 0);
  TempDir out_dir("alfs-image-test");
  UniqueFd out = open_file(out_dir.file("out"), O_WRONLY | O_CREAT | O_EXCL, 0600);
  auto again = std::async(std::launch::async, [&] { return ensure_guest_image(paths, true, out.get()); });
  EXPECT_EQ(again.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout) << "it did not wait";
  EXPECT_EQ(read_file(out_dir.file("out")), "anylinuxfs: another anylinuxfs is building the default guest image in " +
                                                paths.image_root + "; waiting for it\n");
  ::flock(default_build.get(), LOCK_UN);
  ASSERT_EQ(again.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(fs::exists(again.get().dir + "/rootfs.img"));
}

TEST_F(GuestImageTest, AFailedBuildNamesItsStepAndLeavesNothing) {
  if (::geteuid() != 0) GTEST_SKIP() << "building an image needs root";
  Paths paths = fake_install(
      "mkdir -p \"$1\" && : > \"$1/kernel\"\n"
      "echo '[1/2] fetching'; echo 'I: downloading'; echo '[2/2] packing'\n"
      "echo 'mkfs.ext4: No space left on device' >&2; exit 3\n",
      ::getuid(), ::getgid(), (dir / "images").string());
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  TempDir out_dir("alfs-image-test");
  UniqueFd out = open_file(out_dir.file("out"), O_WRONLY | O_CREAT | O_EXCL, 0600);
  try {
    ensure_guest_image(paths, false, out.get());
    FAIL() << "the build succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "building the guest image failed at [2/2] packing (exit code 3); its output is above");
  }
  EXPECT_NE(read_file(out_dir.file("out")).find("[1/2] fetching\nI: downloading\n[2/2] packing\nmkfs.ext4: No space"),
            std::string::npos)
      << "not a terminal: every line as it came";
  for (const auto& entry : fs::directory_iterator(paths.image_root))
    EXPECT_FALSE(entry.is_directory()) << entry.path() << " was left";
}

// Where the script cannot build (it says why to --check), the build goes to the bootstrap
// VM, which starts by fetching Debian's index: here from a mirror that is not there.
TEST_F(GuestImageTest, WhereTheScriptCannotBuildTheBuildVmIsTriedAndSaysWhy) {
  if (::geteuid() != 0) GTEST_SKIP() << "building an image needs root";
  Paths paths = fake_install(
      "[ \"$1\" = --check ] && { echo 'missing mmdebstrap: run scripts/install-deps.sh'; exit 1; }\n"
      "echo 'built on the host'; exit 1\n",
      ::getuid(), ::getgid(), (dir / "images").string());
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  std::string mirror = "file://" + (dir / "no-mirror").string();
  ScopedEnv env("ALFS_DEBIAN_MIRROR", mirror);
  TempDir out_dir("alfs-image-test");
  UniqueFd out = open_file(out_dir.file("out"), O_WRONLY | O_CREAT | O_EXCL, 0600);
  try {
    ensure_guest_image(paths, false, out.get());
    FAIL() << "the build succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot download " + mirror + "/dists/bookworm/InRelease: ", 0), 0u)
        << e.what();
  }
  std::string shown = read_file(out_dir.file("out"));
  EXPECT_NE(shown.find("anylinuxfs: the guest image cannot be built on this host (missing mmdebstrap: run "
                       "scripts/install-deps.sh): it is built in a VM of its own instead"),
            std::string::npos)
      << shown;
  EXPECT_EQ(shown.find("built on the host"), std::string::npos) << "the script did not build";
  for (const auto& entry : fs::directory_iterator(paths.image_root))
    EXPECT_FALSE(entry.is_directory()) << entry.path() << " was left";
}

// A user without root (nobody here, when the test runs as root) builds too, as
// themselves, into their own cache; the ZFS modules are kept there as well.
TEST_F(GuestImageTest, AUserWithoutRootBuildsIntoTheirOwnCache) {
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  uid_t user = ::geteuid() == 0 ? nobody->pw_uid : ::geteuid();
  gid_t group = ::geteuid() == 0 ? nobody->pw_gid : ::getegid();
  ::chmod(dir.c_str(), 0755);
  Paths paths = fake_install(
      "mkdir -p \"$1\" && for f in kernel initrd.img rootfs.img manifest.txt; do : > \"$1/$f\"; done\n"
      "echo \"$ALFS_ZFS_CACHE\" > \"$1/zfs-cache\"\n",
      user, group);
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  UniqueFd null = open_file("/dev/null", O_WRONLY);
  EXPECT_EQ(test_sudo::exit_code_of(
                [&] {
                  using test_sudo::check;
                  become_nobody_if_root(*nobody);
                  GuestImage image = ensure_guest_image(paths, false, null.get());
                  check(image.dir.starts_with(paths.image_root + "/"), "the image is in the user's cache");
                  for (const auto& entry : fs::directory_iterator(image.dir)) {
                    struct stat st {};
                    check(::lstat(entry.path().c_str(), &st) == 0 && st.st_uid == user,
                          entry.path().string() + " is the user's");
                  }
                  check(read_file(image.dir + "/zfs-cache") == paths.image_root + "/zfs-modules\n",
                        "the ZFS module cache is the user's");
                },
                false),
            0);
}

// A user without root cannot build into a shared cache that is not theirs: the error
// says who can, and how to build their own.
TEST_F(GuestImageTest, AUserWithoutRootIsToldWhoFillsASharedCache) {
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  ::chmod(dir.c_str(), 0755);
  Paths paths = fake_install("exit 1\n", ::getuid(), ::getgid(), (dir / "shared").string());
  paths.image_root_is_roots = true;
  fs::create_directories(paths.image_root);
  ::chmod(paths.image_root.c_str(), 0555);  // also not writable when the test runs as a user
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  UniqueFd null = open_file("/dev/null", O_WRONLY);
  EXPECT_EQ(test_sudo::exit_code_of(
                [&] {
                  become_nobody_if_root(*nobody);
                  try {
                    ensure_guest_image(paths, false, null.get());
                    test_sudo::check(false, "built into a cache that is not the user's");
                  } catch (const Error& e) {
                    std::string what = e.what();
                    test_sudo::check(what.find("sudo anylinuxfs image build") != std::string::npos &&
                                         what.find("unset ALFS_IMAGE_DIR") != std::string::npos,
                                     what);
                  }
                },
                false),
            0);
  ::chmod(paths.image_root.c_str(), 0755);
}

// Under sudo, with the cache in the user's home: root builds in a directory of its own,
// the files in the cache are the user's, and the CA bundle is read as the user.
TEST_F(GuestImageTest, UnderSudoTheUsersCacheGetsTheUsersFiles) {
  if (::geteuid() != 0) GTEST_SKIP() << "acting for another user needs root";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  ::chmod(dir.c_str(), 0755);
  Paths paths = fake_install(
      "mkdir -p \"$1\" && for f in kernel initrd.img rootfs.img manifest.txt; do : > \"$1/$f\"; done\n"
      "cp \"$ALFS_CA_BUNDLE\" \"$1/ca\"; echo \"$ALFS_CA_BUNDLE\" > \"$1/ca-path\"\n"
      "echo \"$ALFS_ZFS_CACHE\" > \"$1/zfs-cache\"\n",
      nobody->pw_uid, nobody->pw_gid);
  std::string ca = paths.data_dir + "/ca-certificates.crt";
  write_file_atomic(ca, "-----BEGIN CERTIFICATE-----\n");
  ASSERT_EQ(::chown(ca.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  write_file_atomic((dir / "secret").string(), "root's", 0600);
  ScopedEnv no_system("ALFS_SYSTEM_CONFIG", (dir / "no-system.toml").string());
  UniqueFd null = open_file("/dev/null", O_WRONLY);
  EXPECT_EQ(test_sudo::exit_code_of([&] {
              using test_sudo::check;
              GuestImage image = ensure_guest_image(paths, false, null.get());
              for (const auto& entry : fs::directory_iterator(image.dir)) {
                struct stat st {};
                check(::lstat(entry.path().c_str(), &st) == 0 && st.st_uid == nobody->pw_uid,
                      entry.path().string() + " is the user's");
              }
              check(read_file(image.dir + "/ca") == "-----BEGIN CERTIFICATE-----\n", "the user's CA bundle");
              check(!read_file(image.dir + "/ca-path").starts_with(paths.home), "as root's copy");
              check(read_file(image.dir + "/zfs-cache") == "/var/cache/anylinuxfs/zfs-modules\n", "ZFS cache root's");
              // A CA bundle that leads to root's file is read as the user: refused.
              fs::remove(ca);
              fs::create_symlink(dir / "secret", ca);
              try {
                ensure_guest_image(paths, true, null.get());
                check(false, "root's file was read as the CA bundle");
              } catch (const Error& e) {
                check(std::string(e.what()) == "cannot open " + ca + ": Permission denied", e.what());
              }
            }),
            0);
}

}  // namespace
}  // namespace alfs
