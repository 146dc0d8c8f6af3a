// image: the guest image cache. `image build` (also `init`) (re)builds the image,
// --with-zfs / --without-zfs choose the ZFS variant and keep the choice in the user's
// config ([guest] zfs); `image export`/`import` move one as a single verified file;
// `image list` and `image remove` manage the cache. --system works on the system-wide
// cache every user falls back to, as root only.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/say.h"
#include "cli/user_config.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/printable.h"
#include "config/config.h"
#include "config/paths.h"
#include "host/user_files.h"
#include "image/guest_image.h"
#include "image/image_archive.h"

namespace alfs::cli {

namespace {

// The paths with the cache a command works on: the user's, or with --system root's own
// system-wide one. Not through sudo: every user boots what is there, so a user allowed
// `sudo anylinuxfs` must not be able to put an image of theirs in it.
Paths image_paths(bool system) {
  Paths paths = resolve_paths();
  if (!system) return paths;
  if (::geteuid() != 0 || acting_for())
    throw Error(std::string("--system changes ") + kSystemImageRoot +
                ", which every user's mounts boot: only root may (as root itself, not through sudo)");
  paths.image_root = kSystemImageRoot;
  paths.image_root_is_roots = true;
  paths.system_image_root.clear();
  return paths;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

}  // namespace

int image_build_command(std::optional<bool> with_zfs, bool system, const std::string& arch) {
  // --arch is ALFS_GUEST_ARCH for this command: everything that picks the guest's
  // architecture reads it there (common/guest_arch.h).
  if (!arch.empty()) ::setenv("ALFS_GUEST_ARCH", arch.c_str(), 1);
  Paths paths = image_paths(system);
  std::optional<ConfigChange> change;
  if (with_zfs && *with_zfs != load_config(default_config_files(paths.home)).zfs)
    change = change_user_config(paths, "guest", {{"zfs", *with_zfs ? "true" : "false"}});
  try {
    say().step("building the guest image into " + paths.image_root);
    GuestImage image = ensure_guest_image(paths, /*rebuild=*/true, say().progress_fd(STDOUT_FILENO));
    say().done("guest image ready in " + image.dir);
  } catch (const Error& e) {
    if (!change) throw;
    // A variant that cannot be built must not break every later mount.
    undo_config_change(*change);
    throw Error(std::string(e.what()) + "; " + change->file + " is left as it was");
  }
  return 0;
}

int image_list_command(bool json) {
  std::vector<ImageEntry> entries = list_images(resolve_paths());
  if (json) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& e : entries)
      images.push_back({{"name", e.key},
                        {"cache", e.cache},
                        {"variant", e.variant},
                        {"arch", e.arch},
                        {"kernel", e.kernel},
                        {"built", e.built},
                        {"format", e.format},
                        {"size_bytes", e.size_bytes},
                        {"imported", e.imported},
                        {"in_use", e.in_use}});
    std::printf("%s\n", nlohmann::json({{"images", images}}).dump(2).c_str());
    return 0;
  }
  if (entries.empty()) {
    std::printf("no guest image yet: `anylinuxfs image build` builds one, `anylinuxfs image import FILE` adds one\n");
    return 0;
  }
  std::printf("  %-16s  %-7s  %-6s  %-22s  %8s  %-20s  %-8s  %s\n", "NAME", "VARIANT", "ARCH", "KERNEL", "SIZE",
              "BUILT", "ORIGIN", "CACHE");
  for (const auto& e : entries)
    std::printf("%s %-16s  %-7s  %-6s  %-22s  %8s  %-20s  %-8s  %s\n", e.in_use ? "*" : " ", e.key.c_str(),
                e.variant.c_str(), e.arch.c_str(), printable(e.kernel).c_str(), mib(e.size_bytes).c_str(),
                printable(e.built).c_str(), e.imported ? "imported" : "built", e.cache.c_str());
  std::printf("(*: the image a mount boots now)\n");
  return 0;
}

int image_export_command(const std::string& file, const std::string& name) {
  Paths paths = resolve_paths();
  std::optional<GuestImage> image;
  if (name.empty()) {
    image = current_image(paths, image_inputs(paths));
    if (!image) throw Error("there is no guest image to export yet: `anylinuxfs image build` builds one");
  } else {
    for (const std::string& root : {paths.image_root, paths.system_image_root})
      if (!image && !root.empty()) image = find_image(root, name);
    if (!image) throw Error("no image " + name + " in the caches (see `anylinuxfs image list`)");
  }
  say().step("writing " + image->dir + " to " + file + " (tar, zstd, SHA-256 per member)");
  export_image(image->dir, file);
  say().done("image " + image->key + " exported to " + file);
  return 0;
}

int image_import_command(const std::string& file, bool system) {
  Paths paths = image_paths(system);
  UniqueFd archive = open_file(file, O_RDONLY | O_NONBLOCK);  // the user's file, opened as the user
  AsRoot cache_is_roots(paths.image_root_is_roots);
  say().step("checking every member of " + file + " against its SHA-256 before it enters " + paths.image_root);
  std::string key = import_image(archive.get(), file, paths.image_root);
  say().done("image " + key + " imported into " + paths.image_root);
  return 0;
}

int image_remove_command(const std::string& name, bool system) {
  Paths paths = image_paths(system);
  AsRoot cache_is_roots(paths.image_root_is_roots);
  say().step("removing " + paths.image_root + "/" + name);
  remove_image(paths.image_root, name);
  say().done("image " + name + " removed from " + paths.image_root);
  return 0;
}

}  // namespace alfs::cli
