// The guest image (kernel, initrd, root filesystem), built from Debian packages by
// share/anylinuxfs/build-guest-image.sh and cached under a key that hashes its
// inputs, so it is rebuilt exactly when the script, the package list, the user's extra
// packages, CA bundle or choice of the ZFS variant change. The agent is not one of them:
// each boot brings the CLI's own (image/boot_initrd.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/guest_arch.h"
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

// The contract between an image and the CLI that boots it (stage 1, the root's layout),
// the `format` line of its manifest.txt: an image of another format is not booted.
// 1 (no line): the agent inside the root; 2: the agent appended to the initrd at boot.
inline constexpr int kImageFormat = 2;

// The format an image directory's manifest.txt states (1 when it states none).
int guest_image_format(const std::string& dir);

struct ImageInputs {
  std::string build_script;  // paths of the files whose contents make the key
  std::string package_list;
  std::vector<std::string> extra_packages;  // the user's [guest] custom_packages (`pkg add`)
  std::string ca_bundle;                    // ~/.anylinuxfs/ca-certificates.crt (its PEM text) when it exists
  bool zfs = false;                         // [guest] zfs: the variant with OpenZFS
  GuestArch arch;                           // the guest's; in the key only when foreign
};

// The files beside the binary, and the user's packages and CA bundle (read with the
// process's file credentials: the user's under sudo, user_files.h).
// zfs: the variant with OpenZFS whatever the config says (a mount of a pool).
ImageInputs image_inputs(const Paths& paths, bool zfs = false);

// 16 hex digits over the inputs' contents; throws Error naming an unreadable input.
std::string image_key(const ImageInputs& inputs);

// The image for `key` under `image_root` when it is complete.
std::optional<GuestImage> find_image(const std::string& image_root, const std::string& key);

// The image a mount uses: the one built from this CLI's inputs, else the newest imported
// one (`image import`) of the same variant, format and architecture (`arch`, as its
// manifest says it: "x86_64", "aarch64").
std::optional<GuestImage> usable_image(const std::string& image_root, const std::string& key, bool zfs,
                                       const std::string& arch);

// usable_image() of the system-wide cache, when the image and the directories above it are
// root's alone (no symlink, nothing others may write): a user's mounts boot it, so no
// other user may have put it there.
std::optional<GuestImage> trusted_system_image(const std::string& system_root, const std::string& key, bool zfs,
                                               const std::string& arch);

// The image a mount would boot now, without building: the cache's own (usable_image), else
// the system-wide cache's (Paths::system_image_root).
std::optional<GuestImage> current_image(const Paths& paths, const ImageInputs& inputs);

// What `image list` shows of each image in the caches.
struct ImageEntry {
  std::string cache;  // the cache directory holding it
  std::string key;
  std::string variant;  // "default" or "zfs"
  std::string arch;     // the guest's (x86_64, aarch64); empty when the manifest does not say
  std::string kernel;   // the guest kernel's version
  std::string built;    // when, UTC (ISO 8601)
  int format = 1;
  uint64_t size_bytes = 0;
  bool imported = false;
  bool in_use = false;  // the one a mount would boot now
};
// The images of the cache, then those of the system-wide cache; newest first in each.
std::vector<ImageEntry> list_images(const Paths& paths);

// Removes image `key` from the cache; throws Error when there is none of that name.
void remove_image(const std::string& image_root, const std::string& key);

// Returns the current image, building it first when missing (or when `rebuild`).
// The build's progress goes to `progress_fd`. A failed build leaves nothing that a
// later mount would use. Under sudo the build runs as root in a directory of root's, and
// the finished files are copied into the cache with its owner's credentials (the user's
// in their home; root's in $ALFS_IMAGE_DIR). A user without root builds as themselves
// into their own cache (the script uses a user namespace). Throws Error.
GuestImage ensure_guest_image(const Paths& paths, bool rebuild, int progress_fd, bool zfs = false);

// The current image, never building one: throws Error saying how to build it when missing.
GuestImage built_guest_image(const Paths& paths, bool zfs = false);

}  // namespace alfs
