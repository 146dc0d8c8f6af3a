// `list` in the guest: with the disks attached read-only, unlock what the host sent keys
// for, assemble every RAID array and activate every volume group found, then report
// the block device graph and what each device holds. Nothing is mounted.
//
// The report, {"type":"inspected", ...}:
//   "devices": [{"path":"/dev/mapper/vg-lv","kind":"lvm","size":N,"parents":["/dev/vda"],
//                "fstype":"ext4","label":"data"}, ...]   kind: lsblk's TYPE (disk, part, crypt, lvm, raid1...)
//   "volumes": [{"vg":"vg","lv":"lv","device":"/dev/mapper/vg-lv"}]   logical volumes by name
//   "errors":  [{"device":"/dev/vdb","message":"..."}]   device empty: not about one device
#pragma once

#include <nlohmann/json.hpp>

#include "common/protocol.h"
#include "guest/runner.h"

namespace alfs::guest {

class Inspector {
 public:
  explicit Inspector(Runner& runner) : runner_(runner) {}

  // The "inspected" message. The request's secrets are wiped once used.
  nlohmann::json inspect(protocol::InspectRequest request);

  // Parsers of the tools' outputs (public for the tests).
  static nlohmann::json devices_from_lsblk(const nlohmann::json& lsblk);
  // blkid -o export: DEVNAME -> {TYPE, LABEL}.
  static std::map<std::string, std::pair<std::string, std::string>> parse_blkid_export(const std::string& text);

 private:
  Runner& runner_;
};

}  // namespace alfs::guest
