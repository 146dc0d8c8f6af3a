// Defaults from TOML files (product spec, section 4): the system file, then the user's,
// the later winning key by key.
//
//   [vm]
//   ram_size_mib = 512     # 128..65536
//   num_vcpus = 1          # 1..64
//   log_level = "info"     # error, warn, info, debug, trace (common/log_level.h)
//   backend = "auto"       # auto, qemu, krun (vm/backends.h)
//   instant_mount = true   # QEMU: restore a saved guest instead of booting (instance/guest_template.h)
//   [guest]
//   custom_packages = ["btrfs-progs"]  # Debian package names, or name=version
//   zfs = false            # the image variant with OpenZFS (`init --with-zfs`)
//   [custom_actions.<name>]   # name: letters, digits, '_', '-'
//   description = "..."        # and the CustomAction fields below, by their names
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/log_level.h"

namespace alfs {

// The accepted [vm] values, shared by the loader and `anylinuxfs config`.
inline constexpr int kMinRamSizeMib = 128, kMaxRamSizeMib = 65536;
inline constexpr int kMinVcpus = 1, kMaxVcpus = 64;
inline constexpr std::array<std::string_view, 5> kLogLevels = kLogLevelNames;  // common/log_level.h
// [vm] backend and --backend: which VM backend runs the guest (vm/backends.h makes it).
enum class BackendKind { kAuto, kQemu, kKrun };
inline constexpr std::array<std::string_view, 3> kVmBackends = {"auto", "qemu", "krun"};  // in BackendKind's order
std::string_view to_string(BackendKind kind);
// Throws Error for a name not in kVmBackends.
BackendKind parse_backend_kind(std::string_view name);

// [custom_actions.<name>]: scripts run in the guest with /bin/sh -c around the mount.
struct CustomAction {
  std::string description;
  std::string before_mount;                      // after unlocking/assembling, before mount(8)
  std::string after_mount;                       // after the mount, before the export
  std::string before_unmount;                    // after NFS stops, before the unmount
  std::vector<std::string> environment;          // NAME=value, set for the scripts
  std::vector<std::string> capture_environment;  // names of host variables passed in
  std::string override_nfs_export;               // a guest path exported instead of the mount
  // Directories below the export, exported too (nohide): filesystems the scripts mount
  // there are seen through the mount, not hidden behind it.
  std::vector<std::string> nfs_export_subdirs;
  std::string required_os;  // "linux" or "freebsd" (the Rust tool's FreeBSD guest); empty: any
  friend bool operator==(const CustomAction&, const CustomAction&) = default;
};

struct Config {
  int ram_size_mib = 512;
  int num_vcpus = 1;
  std::string log_level = "info";
  BackendKind backend = BackendKind::kAuto;
  bool instant_mount = true;
  std::vector<std::string> custom_packages;
  bool zfs = false;
  std::vector<std::string> share_allow;                // [share] allow: networks a -b share admits (ADDR[/PREFIX])
  std::map<std::string, CustomAction> custom_actions;  // by name; a later file's action replaces an earlier one
  // The file each effective value came from, by its dotted key ("vm.num_vcpus",
  // "custom_actions.<name>"); a key not in it has its built-in default.
  std::map<std::string, std::string> origin;
};

// Debian policy 5.6.1: lower case letters, digits, + - . and at least two characters, the
// first a letter or digit. `pkg add` takes names, [guest] custom_packages names or
// name=version: a path to a .deb file (which apt would install, from wherever root may
// read) is neither.
bool is_debian_package_name(std::string_view name);

// <home>/.anylinuxfs/config.toml
std::string user_config_file(const std::string& home);

// /etc/anylinuxfs.toml ($ALFS_SYSTEM_CONFIG when set), then user_config_file(home)
// (left out when home is empty).
std::vector<std::string> default_config_files(const std::string& home);

// Reads `files` in order over the defaults; a missing file is skipped. Throws
// alfs::Error as "<file>:<line>: <what is wrong>" for bad syntax, unknown keys, values of
// the wrong type or out of range, and "cannot open <file>: <why>" for unreadable files.
Config load_config(const std::vector<std::string>& files);

}  // namespace alfs
