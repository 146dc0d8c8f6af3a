// Debian's package index (dists/<suite>/main/binary-<arch>/Packages) and the dependency
// closure of a set of packages: what a host without Debian's tools (macOS) downloads to
// boot the VM that builds the guest image (docs/macos-guest-image.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace alfs {

// dpkg's ordering of version strings ([epoch:]upstream[-revision], '~' before anything):
// negative, zero or positive as a < b, a == b, a > b.
int compare_versions(std::string_view a, std::string_view b);

struct DebianPackage {
  std::string name;
  std::string version;
  std::string architecture;
  std::string priority;  // required, important, standard, optional, extra
  bool essential = false;
  std::string pre_depends;  // relation fields as written: "libc6 (>= 2.34), awk | gawk"
  std::string depends;
  std::string provides;  // "awk", "libgcc1 (= 1:12.2.0-14)"
  std::string filename;  // pool/main/..., relative to the mirror
  uint64_t size = 0;
  std::string sha256;
};

class PackageIndex {
 public:
  // Parses a Packages file; throws Error("line N: ...") on a malformed stanza or a
  // stanza without Package, Version or Filename.
  static PackageIndex parse(std::string_view text);

  const std::vector<DebianPackage>& packages() const { return packages_; }
  const DebianPackage* find(std::string_view name) const;
  // The packages marked Essential: every Debian system has them.
  std::vector<std::string> essential() const;

  // `roots` and everything they need through Pre-Depends and Depends (not Recommends),
  // sorted by name. Of alternatives ("a | b") and of the providers of a virtual package,
  // one already chosen wins, else the first real package, else the provider of the
  // highest priority. Version constraints are checked; Conflicts and Breaks are not.
  // Throws Error naming the relation and who needs it when nothing satisfies it.
  std::vector<const DebianPackage*> resolve(const std::vector<std::string>& roots) const;

 private:
  std::vector<DebianPackage> packages_;
  std::map<std::string, size_t, std::less<>> newest_;  // by name: with two suites in one index, the newer
};

}  // namespace alfs
