#include "image/debian_packages.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fd.h"

namespace alfs {
namespace {

// tests/fixtures/debian/Packages: an excerpt of bookworm's arm64 index (README beside it).
PackageIndex fixture() { return PackageIndex::parse(read_file(std::string(ALFS_FIXTURES_DIR) + "/debian/Packages")); }

std::vector<std::string> names(const std::vector<const DebianPackage*>& packages) {
  std::vector<std::string> out;
  for (const DebianPackage* p : packages) out.push_back(p->name);
  return out;
}

std::string resolve_error(const PackageIndex& index, const std::vector<std::string>& roots) {
  try {
    index.resolve(roots);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string parse_error(const std::string& text) {
  try {
    PackageIndex::parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DebianVersions, DpkgOrdering) {
  auto less = [](const char* a, const char* b) { return compare_versions(a, b) < 0 && compare_versions(b, a) > 0; };
  EXPECT_TRUE(less("1.0~rc1", "1.0"));
  EXPECT_TRUE(less("1.0~~", "1.0~"));
  EXPECT_TRUE(less("1.0", "1.0-1"));
  EXPECT_TRUE(less("1.0", "1.0a"));
  EXPECT_TRUE(less("1.0", "1.0.1"));
  EXPECT_TRUE(less("9", "10"));
  EXPECT_TRUE(less("2.0", "1:0.1"));
  EXPECT_TRUE(less("5.1.1alpha+20120614", "5.4.1-0.2"));
  EXPECT_TRUE(less("3.1~", "3.4-1+b6"));
  EXPECT_TRUE(less("1:1.1.4", "1:1.2.13.dfsg-1"));
  EXPECT_TRUE(less("2.36-9", "2.36-9+deb12u7"));
  EXPECT_TRUE(less("1.2-1", "1.2-1+b1"));
  EXPECT_EQ(compare_versions("1.0", "1.00"), 0);
  EXPECT_EQ(compare_versions("0:1.0", "1.0"), 0);
  EXPECT_EQ(compare_versions("12.2.0-14", "12.2.0-14"), 0);
}

TEST(DebianPackages, ParsesTheFixture) {
  PackageIndex index = fixture();
  EXPECT_EQ(index.packages().size(), 28u);
  const DebianPackage* dpkg = index.find("dpkg");
  ASSERT_NE(dpkg, nullptr);
  EXPECT_EQ(dpkg->version, "1.21.22");
  EXPECT_EQ(dpkg->architecture, "arm64");
  EXPECT_EQ(dpkg->priority, "required");
  EXPECT_TRUE(dpkg->essential);
  EXPECT_EQ(dpkg->pre_depends,
            "libbz2-1.0, libc6 (>= 2.34), liblzma5 (>= 5.4.0), libmd0 (>= 0.0.0), libselinux1 (>= 3.1~), libzstd1 (>= "
            "1.5.2), zlib1g (>= 1:1.1.4)");
  EXPECT_EQ(dpkg->depends, "tar (>= 1.28-1)");
  EXPECT_EQ(dpkg->filename, "pool/main/d/dpkg/dpkg_1.21.22_arm64.deb");
  EXPECT_EQ(dpkg->size, 1502668u);
  EXPECT_EQ(dpkg->sha256.size(), 64u);
  EXPECT_EQ(index.find("debconf")->architecture, "all");
  EXPECT_EQ(index.find("udev"), nullptr);
  EXPECT_EQ(index.essential(), (std::vector<std::string>{"base-files", "dpkg", "tar", "perl-base"}));
}

TEST(DebianPackages, ClosureOfTheKernelBusyboxAndTheEssentialSet) {
  PackageIndex index = fixture();
  std::vector<std::string> roots = {"linux-image-arm64", "busybox-static"};
  for (const std::string& name : index.essential()) roots.push_back(name);
  // awk: mawk (required) over gawk (optional, listed first); initramfs-tools-core's
  // "udev | busybox": busybox-static, already chosen, provides busybox.
  EXPECT_EQ(names(index.resolve(roots)), (std::vector<std::string>{"base-files",
                                                                   "busybox-static",
                                                                   "debconf",
                                                                   "dpkg",
                                                                   "gcc-12-base",
                                                                   "initramfs-tools",
                                                                   "initramfs-tools-core",
                                                                   "kmod",
                                                                   "libacl1",
                                                                   "libbz2-1.0",
                                                                   "libc6",
                                                                   "libgcc-s1",
                                                                   "libkmod2",
                                                                   "liblzma5",
                                                                   "libmd0",
                                                                   "libpcre2-8-0",
                                                                   "libselinux1",
                                                                   "libssl3",
                                                                   "libzstd1",
                                                                   "linux-base",
                                                                   "linux-image-6.1.0-22-arm64",
                                                                   "linux-image-arm64",
                                                                   "mawk",
                                                                   "perl-base",
                                                                   "tar",
                                                                   "zlib1g"}));
}

TEST(DebianPackages, ARealPackageIsChosenWhenNoProviderIsYet) {
  PackageIndex index = fixture();
  // Without busybox-static among the roots, "udev | busybox" takes the real busybox.
  auto chosen = names(index.resolve({"initramfs-tools-core"}));
  EXPECT_NE(std::find(chosen.begin(), chosen.end(), "busybox"), chosen.end());
  EXPECT_EQ(std::find(chosen.begin(), chosen.end(), "busybox-static"), chosen.end());
}

TEST(DebianPackages, VersionedProvides) {
  PackageIndex index = fixture();
  EXPECT_EQ(names(index.resolve({"libgcc1 (>= 1:10)"})),
            (std::vector<std::string>{"gcc-12-base", "libc6", "libgcc-s1"}));
  EXPECT_EQ(resolve_error(index, {"libgcc1 (>= 1:13)"}), "libgcc1 (>= 1:13): nothing in the index satisfies it");
  // An unversioned Provides never satisfies a versioned relation.
  EXPECT_EQ(resolve_error(index, {"awk (>= 1)"}), "awk (>= 1): nothing in the index satisfies it");
}

TEST(DebianPackages, UnsatisfiableRelationsNameWhoNeedsThem) {
  PackageIndex index = PackageIndex::parse(
      "Package: new-tool\nVersion: 1\nDepends: libc6 (>= 2.40)\nFilename: pool/n/new-tool_1_arm64.deb\n\n"
      "Package: libc6\nVersion: 2.36-9+deb12u7\nFilename: pool/g/libc6_2.36-9+deb12u7_arm64.deb\n\n"
      "Package: odd-tool\nVersion: 1\nPre-Depends: foo | bar (>> 2)\nFilename: pool/o/odd-tool_1_arm64.deb\n\n"
      "Package: broken\nVersion: 1\nDepends: libc6 (~ 2)\nFilename: pool/b/broken_1_arm64.deb\n");
  EXPECT_EQ(resolve_error(index, {"new-tool"}),
            "libc6 (>= 2.40) (needed by new-tool): the index has libc6 2.36-9+deb12u7");
  EXPECT_EQ(resolve_error(index, {"odd-tool"}),
            "foo | bar (>> 2) (needed by odd-tool): nothing in the index satisfies it");
  EXPECT_EQ(resolve_error(index, {"missing"}), "missing: not in the index");
  EXPECT_EQ(resolve_error(index, {"broken"}), "the Depends of broken: malformed relation 'libc6 (~ 2)'");
}

TEST(DebianPackages, TwoSuitesInOneIndexGiveTheNewer) {
  // bookworm then bookworm-backports, as apt would merge them.
  PackageIndex index = PackageIndex::parse(
      "Package: linux-image-arm64\nVersion: 6.1.94-1\nFilename: pool/main/l/a.deb\n\n"
      "Package: linux-image-arm64\nVersion: 6.12.9-1~bpo12+1\nFilename: pool/main/l/b.deb\n\n"
      "Package: linux-image-arm64\nVersion: 6.1.90-1\nFilename: pool/main/l/c.deb\n");
  EXPECT_EQ(index.find("linux-image-arm64")->version, "6.12.9-1~bpo12+1");
  EXPECT_EQ(index.resolve({"linux-image-arm64"}).at(0)->filename, "pool/main/l/b.deb");
  EXPECT_EQ(resolve_error(index, {"linux-image-arm64 (<< 6.2)"}),
            "linux-image-arm64 (<< 6.2): the index has linux-image-arm64 6.12.9-1~bpo12+1");
}

TEST(DebianPackages, ContinuationLinesCrlfAndArchitectureQualifiers) {
  PackageIndex index = PackageIndex::parse(
      "Package: a\r\nVersion: 1\r\nDepends: b:any,\r\n c (>= 1)\r\nFilename: pool/a.deb\r\n\r\n"
      "Package: b\nVersion: 1\nFilename: pool/b.deb\n\n"
      "Package: c\nVersion: 2\nFilename: pool/c.deb\n");
  EXPECT_EQ(index.find("a")->depends, "b:any,\nc (>= 1)");
  EXPECT_EQ(names(index.resolve({"a"})), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(DebianPackages, MalformedStanzasAreErrorsWithTheirLine) {
  EXPECT_EQ(parse_error("Package: a\nFilename: pool/a.deb\n"), "line 1: a stanza without Version");
  EXPECT_EQ(parse_error("Package: a\nVersion: 1\nFilename: f\n\n\nVersion: 2\nFilename: g\n"),
            "line 6: a stanza without Package");
  EXPECT_EQ(parse_error(" continued\n"), "line 1: a continuation line outside a field");
  EXPECT_EQ(parse_error("Package: a\nPackage: b\n"), "line 2: a second Package field");
  EXPECT_EQ(parse_error("Package a\n"), "line 1: expected 'Field: value'");
  EXPECT_EQ(parse_error("Package: a\nVersion: 1\nFilename: f\nSize: 12k\n"), "line 1: a has a bad Size '12k'");
}

}  // namespace
}  // namespace alfs
