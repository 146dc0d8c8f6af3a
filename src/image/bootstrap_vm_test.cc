#include "image/bootstrap_vm.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace alfs {
namespace {

using namespace std::chrono_literals;

TEST(BootstrapVm, ReleaseChecksumsAreTheSha256Section) {
  std::string release =
      "Origin: Debian\n"
      "MD5Sum:\n"
      " a8ed68071e02b40b231febcafb3f55aa 12084798 main/binary-amd64/Packages.gz\n"
      "SHA256:\n"
      " 6777ea16514725f9427f48c240d92e0a6b8496138e37a1491d8597e66774e309 12084798 main/binary-amd64/Packages.gz\n"
      " 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5  8790396 main/binary-amd64/Packages.xz\n"
      "-----BEGIN PGP SIGNATURE-----\n";
  auto sums = release_checksums(release);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums.at("main/binary-amd64/Packages.gz").sha256,
            "6777ea16514725f9427f48c240d92e0a6b8496138e37a1491d8597e66774e309");
  EXPECT_EQ(sums.at("main/binary-amd64/Packages.gz").size, 12084798u);
  EXPECT_EQ(sums.at("main/binary-amd64/Packages.xz").size, 8790396u);
}

TEST(BootstrapVm, ArMembersOfAPackageMadeByAr) {
  TempDir tmp("alfs-ar-test");
  write_file_atomic(tmp.file("debian-binary"), "2.0\n");
  write_file_atomic(tmp.file("control.tar.xz"), "odd");  // an odd size: ar pads it
  write_file_atomic(tmp.file("data.tar.xz"), "the files");
  RunResult r = run_command(
      {"sh", "-c", "cd \"$1\" && ar rc p.deb debian-binary control.tar.xz data.tar.xz", "sh", tmp.path()}, 30s);
  ASSERT_TRUE(r.ok()) << r.output;
  std::string deb = read_file(tmp.file("p.deb"));
  ArMember data = ar_member(deb, "data.tar");
  EXPECT_EQ(data.name, "data.tar.xz");
  EXPECT_EQ(data.content, "the files");
  EXPECT_EQ(ar_member(deb, "control.tar").content, "odd");
  EXPECT_THROW(ar_member(deb, "nothing"), Error);
  EXPECT_THROW(ar_member(deb.substr(0, deb.size() - 4), "data.tar"), Error) << "a truncated package";
  EXPECT_THROW(ar_member("PK\x03\x04 not ar", "data.tar"), Error);
}

TEST(BootstrapVm, ModuleDependsAreReadFromModinfo) {
  using namespace std::string_literals;
  std::string ko =
      "\x7f"
      "ELF...\0license=GPL\0depends=net_failover,virtio_ring\0retpoline=Y\0"s;
  EXPECT_EQ(module_depends(ko), (std::vector<std::string>{"net_failover", "virtio_ring"}));
  EXPECT_TRUE(module_depends("\x7f"
                             "ELF\0depends=\0name=x\0"s)
                  .empty());
  EXPECT_TRUE(module_depends("no modinfo").empty());
}

TEST(BootstrapVm, ModulesLoadAfterWhatTheyNeedAndBuiltInsAreSkipped) {
  std::map<std::string, std::vector<std::string>> depends = {
      {"virtio_net", {"net_failover", "virtio_ring"}},  // virtio_ring: built in (not in the map)
      {"net_failover", {"failover"}},
      {"failover", {}},
      {"virtio_mmio", {}},
  };
  EXPECT_EQ(module_load_order(depends, {"virtio_mmio", "virtio-net", "failover", "virtio_blk"}),
            (std::vector<std::string>{"virtio_mmio", "failover", "net_failover", "virtio_net"}));
}

}  // namespace
}  // namespace alfs
