// init: (re)build the guest image; --with-zfs / --without-zfs choose the ZFS variant
// and keep the choice in the user's config ([guest] zfs) for every later rebuild.
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "cli/commands.h"
#include "cli/user_config.h"
#include "common/error.h"
#include "config/config.h"
#include "config/paths.h"
#include "image/guest_image.h"

namespace alfs::cli {

int init_command(std::optional<bool> with_zfs) {
  Paths paths = resolve_paths();
  std::optional<ConfigChange> change;
  if (with_zfs && *with_zfs != load_config(default_config_files(paths.home)).zfs)
    change = change_user_config(paths, "guest", {{"zfs", *with_zfs ? "true" : "false"}});
  try {
    GuestImage image = ensure_guest_image(paths, /*rebuild=*/true, STDOUT_FILENO);
    std::printf("guest image ready in %s\n", image.dir.c_str());
  } catch (const Error& e) {
    if (!change) throw;
    // A variant that cannot be built must not break every later mount.
    undo_config_change(*change);
    throw Error(std::string(e.what()) + "; " + change->file + " is left as it was");
  }
  return 0;
}

}  // namespace alfs::cli
