#include "nfs/nfs_options.h"

#include <algorithm>
#include <array>

#include "common/error.h"

namespace alfs::nfs {

namespace {

// Caching, timeouts, transfer sizes and time stamps: how the client talks, not to whom
// or with what trust. (Linux nfs(5) and macOS mount_nfs(8) spellings; each client
// refuses what it does not know.)
constexpr std::array<std::string_view, 17> kClientFlags{
    "soft",  "hard",    "intr",  "nointr",   "ac",         "noac",     "cto",        "nocto",         "sync",
    "async", "noatime", "atime", "relatime", "nodiratime", "rdirplus", "nordirplus", "nonegnamecache"};
constexpr std::array<std::string_view, 11> kClientValues{"rsize",    "wsize",       "timeo",    "retrans",
                                                         "actimeo",  "acregmin",    "acregmax", "acdirmin",
                                                         "acdirmax", "lookupcache", "readahead"};

// Write timing and how the tree is walked. Not `async` either: the durability promise
// (fsync on the host reaches the disk) rests on a sync export.
// Not `ro` either: a read-only mount is `-o ro`, which the host side knows of too.
constexpr std::array<std::string_view, 7> kExportFlags{"wdelay", "no_wdelay", "subtree_check", "no_subtree_check",
                                                       "hide",   "nohide",    "nordirplus"};

template <size_t F, size_t V>
std::string checked(std::string_view options, const std::array<std::string_view, F>& flags,
                    const std::array<std::string_view, V>& values, std::string_view what) {
  size_t start = 0;
  while (start <= options.size()) {
    size_t comma = std::min(options.find(',', start), options.size());
    std::string_view option = options.substr(start, comma - start);
    start = comma + 1;
    size_t eq = option.find('=');
    std::string_view name = option.substr(0, eq);
    bool known = eq == std::string_view::npos
                     ? std::find(flags.begin(), flags.end(), name) != flags.end()
                     : eq + 1 < option.size() && std::find(values.begin(), values.end(), name) != values.end();
    if (!known)
      throw Error(std::string(what) + ": '" + std::string(option) +
                  "' is not an option anylinuxfs passes on (it may change only caching, timing and "
                  "transfer sizes, never who reaches the disk or what the host trusts; see the README)");
  }
  return std::string(options);
}

}  // namespace

std::string checked_client_options(std::string_view options) {
  return checked(options, kClientFlags, kClientValues, "NFS client option");
}

std::string checked_export_options(std::string_view options) {
  return checked(options, kExportFlags, std::array<std::string_view, 0>{}, "NFS export option");
}

}  // namespace alfs::nfs
