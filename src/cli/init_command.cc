// init: (re)build the guest image.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "host/guest_image.h"
#include "host/paths.h"

namespace alfs::cli {

int init_command() {
  GuestImage image = ensure_guest_image(resolve_paths(), /*rebuild=*/true, STDOUT_FILENO);
  std::printf("guest image ready in %s\n", image.dir.c_str());
  return 0;
}

}  // namespace alfs::cli
