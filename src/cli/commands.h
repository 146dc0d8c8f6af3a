// The subcommands of the anylinuxfs CLI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/mount_plan.h"

namespace alfs::cli {

int mount_command(const MountArgs& args);

struct ListArgs {
  std::vector<std::string> disks;  // empty: every disk of the host
  bool linux_only = false;         // -l
  bool microsoft_only = false;     // -m
  bool json = false;
  std::string decrypt;  // -d <disk>|all: open encrypted containers to show what they hold
};

// Exit status 1 when a disk could not be read (it is still listed, with the reason).
int list_command(const ListArgs& args);
int status_command(bool json);
int unmount_command(const std::string& target, bool wait);
int stop_command(const std::string& target, bool force);
int log_command(bool follow);
int dmesg_command();
// `image` (cli/image_command.cc); `system`: the system-wide cache (--system).
// also `init`; arch: "" (this machine's or $ALFS_GUEST_ARCH's), "x86_64" or "arm64"
int image_build_command(std::optional<bool> with_zfs, bool system, const std::string& arch);
int image_list_command(bool json);
int image_export_command(const std::string& file, const std::string& name);  // name "": the image in use
int image_import_command(const std::string& file, bool system);
int image_remove_command(const std::string& name, bool system);
int shell_command(const std::string& command, const std::vector<std::string>& disks);
int vm_exec_command(const std::string& target, const std::vector<std::string>& argv);
int vm_attach_command(const std::string& target);

// Unset values are left as they are; with none set, `config` shows the effective ones.
struct ConfigArgs {
  std::optional<int> ram_size_mib;       // -r
  std::optional<int> num_vcpus;          // -n
  std::optional<std::string> log_level;  // -l
};

int config_command(const ConfigArgs& args);
int actions_command();
// verb: add, del or list.
int pkg_command(const std::string& verb, const std::vector<std::string>& packages);

}  // namespace alfs::cli
