#include "cli/mount_helper.h"

#include <array>
#include <string_view>

namespace alfs::cli {

namespace {

// What fstab and mount(8) say about the mount itself, not about the filesystem: when to
// mount it, who may, what to do when it fails. libmount strips some (noauto, x-*) but not
// all, and `mount.anylinuxfs` may be run by hand with an fstab line's options.
bool is_mount_level_option(std::string_view option) {
  constexpr std::array<std::string_view, 10> kNames{"auto",  "noauto", "user",   "nouser",  "users",
                                                    "owner", "group",  "nofail", "_netdev", "defaults"};
  for (std::string_view name : kNames)
    if (option == name) return true;
  return option.rfind("x-", 0) == 0 || option.rfind("comment=", 0) == 0;
}

std::string_view value_of(std::string_view option, std::string_view key) {
  return option.size() > key.size() && option.substr(0, key.size()) == key ? option.substr(key.size())
                                                                           : std::string_view{};
}

void take_options(const std::string& list, MountArgs& args) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string_view option(list.data() + start, comma - start);
    start = comma + 1;
    if (option.empty() || is_mount_level_option(option)) continue;
    if (auto v = value_of(option, "fstype="); !v.empty()) {
      args.fstype = v;
    } else if (auto v = value_of(option, "keyfile="); !v.empty()) {
      args.key_file = v;
    } else if (auto v = value_of(option, "action="); !v.empty()) {
      args.action = v;
    } else if (auto v = value_of(option, "backend="); !v.empty()) {
      args.backend = v;
    } else if (option == "ignore_permissions") {
      args.ignore_permissions = true;
    } else {
      args.options += (args.options.empty() ? "" : ",") + std::string(option);
    }
  }
}

}  // namespace

HelperMount parse_mount_helper_args(const std::vector<std::string>& argv) {
  HelperMount mount;
  MountArgs& args = mount.args;
  args.quiet = true;         // mount(8) and systemd expect a helper to print only errors
  args.build_image = false;  // at boot, building an image for minutes would stall it: fail fast
  std::vector<std::string> positional;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= argv.size()) throw HelperUsageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-o") {
      take_options(value(), args);
    } else if (arg == "-t") {
      // anylinuxfs or anylinuxfs.TYPE: the subtype names the filesystem in the guest.
      const std::string& type = value();
      if (type.rfind("anylinuxfs.", 0) == 0) args.fstype = type.substr(std::string_view("anylinuxfs.").size());
    } else if (arg == "-N") {
      throw HelperUsageError("-N (another mount namespace) is not supported");
    } else if (arg.size() > 1 && arg[0] == '-') {
      for (char flag : arg.substr(1)) {
        if (flag == 'f')
          mount.fake = true;
        else if (flag == 'v')
          args.verbose = true, args.quiet = false;
        else if (flag != 's' && flag != 'n')
          throw HelperUsageError("unknown option -" + std::string(1, flag));
      }
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2)
    throw HelperUsageError(
        "usage: mount.anylinuxfs DISK_IDENT MOUNT_POINT [-sfnv] [-o OPTIONS] [-t anylinuxfs[.TYPE]]");
  args.disk = positional[0];
  args.mount_point = positional[1];
  return mount;
}

}  // namespace alfs::cli
