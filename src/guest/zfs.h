// ZFS pools in the guest: import under an alternate root, load the keys of encrypted
// datasets, mount every dataset; at shutdown export the pool (which unmounts them and
// leaves it importable anywhere).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/protocol.h"
#include "guest/runner.h"

namespace alfs::guest {

// Where the datasets are mounted: the pool's mount points below this alternate root
// (tmpfs: the guest's root filesystem is read-only).
inline constexpr const char* kZfsAltroot = "/run/alfs-zfs";

class ZfsPool {
 public:
  explicit ZfsPool(Runner& runner) : runner_(runner) {}

  // Imports the pool `devices` hold (named by the first one's label), read-only when
  // asked; loads the key of every encrypted dataset with `secret` (wiped; empty: none
  // was given), mounts every dataset with `options`. On failure, what was imported is
  // exported again.
  std::optional<protocol::GuestError> open(const std::vector<std::string>& devices, bool read_only,
                                           const std::string& options, std::string& secret);
  // Exports the pool. True when nothing is imported any more.
  bool close();

  bool imported() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  // What the host sees: the top dataset's mount point, or the alternate root when the
  // top dataset is not mounted (mountpoint=none, canmount=off).
  const std::string& root() const { return root_; }
  // The other mounted datasets (each exported on its own: NFS needs an fsid per filesystem).
  const std::vector<std::string>& nested() const { return nested_; }

 private:
  std::optional<protocol::GuestError> load_keys(std::string& secret);
  std::optional<protocol::GuestError> mount_all(const std::string& options);

  Runner& runner_;
  std::string name_;
  std::string root_;
  std::vector<std::string> nested_;
};

}  // namespace alfs::guest
