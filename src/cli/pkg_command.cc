// pkg add|del|list (alias apk): extra Debian packages in the guest image, kept in the
// user's config ([guest] custom_packages) so that every rebuild (`init`) has them.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/say.h"
#include "cli/user_config.h"
#include "common/error.h"
#include "config/config.h"
#include "config/config_edit.h"
#include "config/paths.h"
#include "image/guest_image.h"

namespace alfs::cli {

namespace {

void check_package_name(const std::string& name) {
  if (!is_debian_package_name(name)) throw Error("'" + name + "' is not a Debian package name");
}

std::string toml_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + toml_string(item);
  return out + "]";
}

}  // namespace

int pkg_command(const std::string& verb, const std::vector<std::string>& packages) {
  Paths paths = resolve_paths();
  Config config = load_config(default_config_files(paths.home));
  std::vector<std::string> wanted = config.custom_packages;
  if (verb == "list") {
    for (const auto& p : wanted) std::printf("%s\n", p.c_str());
    return 0;
  }
  if (packages.empty()) throw Error("pkg " + verb + ": name the packages");
  for (const auto& p : packages) {
    check_package_name(p);
    auto it = std::find(wanted.begin(), wanted.end(), p);
    if (verb == "add" && it == wanted.end()) wanted.push_back(p);
    if (verb == "del") {
      if (it == wanted.end()) throw Error("'" + p + "' is not among the guest's extra packages (see `pkg list`)");
      wanted.erase(it);
    }
  }
  if (wanted == config.custom_packages) {
    say().done("nothing to change");
    return 0;
  }
  ConfigChange change = change_user_config(paths, "guest", {{"custom_packages", toml_array(wanted)}});
  try {
    say().step("[guest] custom_packages = " + toml_array(wanted) + " in " + change.file + "; building the guest image");
    GuestImage image = ensure_guest_image(paths, /*rebuild=*/false, say().progress_fd(STDOUT_FILENO));
    say().done("guest image with " + toml_array(wanted) + " ready in " + image.dir);
  } catch (const Error& e) {
    // A package Debian does not have must not break every later mount.
    undo_config_change(change);
    throw Error(std::string(e.what()) + "; " + change.file + " is left as it was");
  }
  return 0;
}

}  // namespace alfs::cli
