// Defaults from TOML files (product spec, section 4): the system file, then the user's,
// the later winning key by key.
//
//   [vm]
//   ram_size_mib = 512     # 128..65536
//   num_vcpus = 1          # 1..64
//   log_level = "info"     # error, warn, info, debug, trace
//   [guest]
//   custom_packages = ["btrfs-progs"]
//   [custom_actions.<name>] ...  (read by the custom actions code, ignored here)
#pragma once

#include <map>
#include <string>
#include <vector>

namespace alfs {

// [custom_actions.<name>]: scripts run in the guest with /bin/sh -c around the mount.
struct CustomAction {
  std::string description;
  std::string before_mount;                      // after unlocking/assembling, before mount(8)
  std::string after_mount;                       // after the mount, before the export
  std::string before_unmount;                    // after NFS stops, before the unmount
  std::vector<std::string> environment;          // NAME=value, set for the scripts
  std::vector<std::string> capture_environment;  // names of host variables passed in
  std::string override_nfs_export;               // a guest path exported instead of the mount
  friend bool operator==(const CustomAction&, const CustomAction&) = default;
};

struct Config {
  int ram_size_mib = 512;
  int num_vcpus = 1;
  std::string log_level = "info";
  std::vector<std::string> custom_packages;
  std::map<std::string, CustomAction> custom_actions;  // by name; a later file's action replaces an earlier one
};

// /etc/anylinuxfs.toml, then <home>/.anylinuxfs/config.toml (left out when home is empty).
std::vector<std::string> default_config_files(const std::string& home);

// Reads `files` in order over the defaults; a missing file is skipped. Throws
// alfs::Error as "<file>:<line>: <what is wrong>" for bad syntax, unknown keys, values of
// the wrong type or out of range, and "cannot open <file>: <why>" for unreadable files.
Config load_config(const std::vector<std::string>& files);

}  // namespace alfs
