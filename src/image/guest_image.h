// The guest image (kernel, initrd, root filesystem), built from Debian packages by
// share/anylinuxfs/build-guest-image.sh and cached under a key that hashes its
// inputs, so it is rebuilt exactly when the script, the package list, the user's extra
// packages, CA bundle or choice of the ZFS variant change. The agent is not one of them:
// each boot brings the CLI's own (image/boot_initrd.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/paths.h"

namespace alfs {

struct GuestImage {
  std::string key;
  std::string dir;
  std::string kernel;
  std::string initrd;
  std::string rootfs;
  std::string root_label = "alfs-guest-root";  // what stage 1 mounts (see the build script)
};

struct ImageInputs {
  std::string build_script;  // paths of the files whose contents make the key
  std::string package_list;
  std::vector<std::string> extra_packages;  // the user's [guest] custom_packages (`pkg add`)
  std::string ca_bundle;                    // ~/.anylinuxfs/ca-certificates.crt (its PEM text) when it exists
  bool zfs = false;                         // [guest] zfs: the variant with OpenZFS
};

// The files beside the binary, and the user's packages and CA bundle (read with the
// process's file credentials: the user's under sudo, user_files.h).
ImageInputs image_inputs(const Paths& paths);

// 16 hex digits over the inputs' contents; throws Error naming an unreadable input.
std::string image_key(const ImageInputs& inputs);

// The image for `key` under `image_root` when it is complete.
std::optional<GuestImage> find_image(const std::string& image_root, const std::string& key);

// Returns the current image, building it first when missing (or when `rebuild`).
// The build's progress goes to `progress_fd`. A failed build leaves nothing that a
// later mount would use. Under sudo the build runs as root in a directory of root's, and
// the finished files are copied into the cache with its owner's credentials (the user's
// in their home; root's in $ALFS_IMAGE_DIR). A user without root builds as themselves
// into their own cache (the script uses a user namespace). Throws Error.
GuestImage ensure_guest_image(const Paths& paths, bool rebuild, int progress_fd);

}  // namespace alfs
