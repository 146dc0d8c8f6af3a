// Where things live: the user's data directory, the guest image cache, the
// instances, and the files installed beside the binary.
#pragma once

#include <string>

namespace alfs {

struct Paths {
  std::string home;          // the invoking user's home
  std::string data_dir;      // ~/.anylinuxfs
  // The guest image cache: one for the machine ($ALFS_IMAGE_DIR or
  // /var/cache/anylinuxfs/image), since building needs root and the image is the
  // same for every user; users read it.
  std::string image_root;
  std::string instances_dir; // one directory per running instance
  std::string logs_dir;      // host and console logs of the current and last runs
  std::string agent_binary;  // anylinuxfs-agent, installed to libexec/anylinuxfs/
  std::string share_dir;     // build-guest-image.sh and guest-packages.txt
};

// From the environment ($HOME, $ALFS_IMAGE_DIR) and /proc/self/exe.
Paths resolve_paths();

// mkdir -p; `mode` applies to the directories it creates. Throws Error naming the path.
void make_dirs(const std::string& path, int mode = 0755);

}  // namespace alfs
