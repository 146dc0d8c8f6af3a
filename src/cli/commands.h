// The subcommands of the anylinuxfs CLI.
#pragma once

#include <string>
#include <vector>

namespace alfs::cli {

struct MountArgs {
  std::string disk;
  std::string mount_point;  // empty: the default, /mnt/<label> or ~/mnt/<label>
  std::string options;      // -o
  std::string fstype;       // -t
  std::string key_file;     // -k (or $ALFS_KEY_FILE)
  bool one_passphrase_for_all = false;  // -p 1 (-p a: one prompt per drive)
  bool verbose = false;
};

int mount_command(const MountArgs& args);
int status_command();
int unmount_command(const std::string& target, bool wait);
int stop_command(const std::string& target, bool force);
int log_command(bool follow);
int dmesg_command();
int init_command();
int shell_command(const std::string& command, const std::vector<std::string>& disks);

}  // namespace alfs::cli
