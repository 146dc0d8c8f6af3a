#include "host/guest_listing.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>


namespace alfs {

using nlohmann::json;

namespace {

struct GuestDevice {
  std::string kind, fstype, label;
  uint64_t size = 0;
  std::vector<std::string> parents;
};

// "/dev/vdb2" -> (1, 2); "/dev/vdb" -> (1, 0); anything else: nothing. (`list` attaches
// at most 26 disks, so one letter.)
std::optional<std::pair<size_t, int>> attached_position(const std::string& path) {
  const std::string prefix = "/dev/vd";
  if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size()) return std::nullopt;
  char letter = path[prefix.size()];
  if (letter < 'a' || letter > 'z') return std::nullopt;
  std::string rest = path.substr(prefix.size() + 1);
  if (!rest.empty() && rest.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::make_pair(static_cast<size_t>(letter - 'a'), rest.empty() ? 0 : std::stoi(rest));
}

class Mapper {
 public:
  Mapper(std::vector<ListedDisk>& disks, const std::vector<size_t>& attached, const json& report)
      : disks_(disks), attached_(attached) {
    for (const auto& d : report.value("devices", json::array())) {
      GuestDevice g{d.value("kind", ""), d.value("fstype", ""), d.value("label", ""), d.value("size", uint64_t{0}),
                    d.value("parents", std::vector<std::string>())};
      devices_[d.value("path", "")] = g;
    }
  }

  const std::map<std::string, GuestDevice>& devices() const { return devices_; }

  ListedDisk* disk_of(size_t attached_index) {
    return attached_index < attached_.size() ? &disks_[attached_[attached_index]] : nullptr;
  }

  // The host's row for an attached guest device, if it is one.
  ListedVolume* row_of(const std::string& path) {
    auto pos = attached_position(path);
    if (!pos) return nullptr;
    ListedDisk* disk = disk_of(pos->first);
    if (!disk) return nullptr;
    for (auto& v : disk->volumes)
      if (v.index == pos->second) return &v;
    return nullptr;
  }

  // The identifier `mount` takes for a member device: an attached disk or partition,
  // or the encrypted container an opened mapping came from.
  std::optional<std::string> host_identifier(const std::string& path) {
    if (auto pos = attached_position(path)) {
      ListedDisk* disk = disk_of(pos->first);
      if (!disk) return std::nullopt;
      if (ListedVolume* row = row_of(path); row && !row->identifier.empty()) return row->identifier;
      return pos->second == 0 ? disk->path : disk->path + "@s" + std::to_string(pos->second);
    }
    auto it = devices_.find(path);
    if (it != devices_.end() && it->second.kind == "crypt" && it->second.parents.size() == 1)
      return host_identifier(it->second.parents.front());
    return std::nullopt;
  }

  // Member identifiers joined with ':', in the guest's device order; nothing if one has none.
  std::optional<std::string> members(const std::set<std::string>& guest_paths) {
    std::string joined;
    for (const auto& p : guest_paths) {
      auto id = host_identifier(p);
      if (!id) return std::nullopt;
      joined += (joined.empty() ? "" : ":") + *id;
    }
    return joined;
  }

  uint64_t size_of(const std::set<std::string>& guest_paths) {
    uint64_t total = 0;
    for (const auto& p : guest_paths)
      if (auto it = devices_.find(p); it != devices_.end()) total += it->second.size;
    return total;
  }

 private:
  std::vector<ListedDisk>& disks_;
  const std::vector<size_t>& attached_;
  std::map<std::string, GuestDevice> devices_;
};

}  // namespace

std::vector<std::string> apply_inspection(std::vector<ListedDisk>& disks, const std::vector<size_t>& attached,
                                          const json& report) {
  Mapper map(disks, attached, report);
  std::vector<std::string> warnings;
  for (const auto& e : report.value("errors", json::array())) {
    std::string device = e.value("device", ""), message = e.value("message", "");
    auto pos = attached_position(device);
    ListedDisk* disk = pos ? map.disk_of(pos->first) : nullptr;
    if (!disk) {
      warnings.push_back(message);
      continue;
    }
    // The guest's device name means nothing on the host: the row's identifier does.
    if (auto id = map.host_identifier(device); id && message.rfind(device + ":", 0) == 0)
      message = *id + message.substr(device.size());
    disk->error += (disk->error.empty() ? "" : "; ") + message;
  }

  std::vector<ListedDisk> synthetic;
  // Opened containers show what they hold.
  for (const auto& [path, device] : map.devices()) {
    if (device.kind != "crypt" || device.parents.size() != 1) continue;
    if (ListedVolume* row = map.row_of(device.parents.front())) {
      row->inside_type = device.fstype;
      row->inside_name = device.label;
    }
  }
  // RAID arrays: one synthetic disk each, the filesystem as row 0.
  for (const auto& [path, device] : map.devices()) {
    if (device.kind.rfind("raid", 0) != 0) continue;
    std::set<std::string> parents(device.parents.begin(), device.parents.end());
    auto members = map.members(parents);
    if (!members) {
      warnings.push_back("RAID array " + path + " is on devices that cannot be named from the host");
      continue;
    }
    ListedDisk disk;
    disk.path = "raid:" + *members;
    disk.kind = DiskKind::kVolume;
    disk.size_bytes = device.size;
    disk.volumes.push_back({0, device.fstype, device.label, device.size, disk.path});
    synthetic.push_back(std::move(disk));
  }
  // Volume groups: one synthetic disk each, a row per logical volume.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> groups;  // vg -> (lv, device)
  for (const auto& v : report.value("volumes", json::array()))
    groups[v.value("vg", "")].emplace_back(v.value("lv", ""), v.value("device", ""));
  for (const auto& [vg, lvs] : groups) {
    std::set<std::string> pvs;
    for (const auto& [lv, device] : lvs)
      if (auto it = map.devices().find(device); it != map.devices().end())
        pvs.insert(it->second.parents.begin(), it->second.parents.end());
    auto members = map.members(pvs);
    if (!members || pvs.empty()) {
      warnings.push_back("volume group " + vg + " is on devices that cannot be named from the host");
      continue;
    }
    ListedDisk disk;
    disk.path = "lvm:" + vg;
    disk.kind = DiskKind::kVolumeGroup;
    disk.size_bytes = map.size_of(pvs);
    int index = 0;
    for (const auto& [lv, device] : lvs) {
      auto it = map.devices().find(device);
      GuestDevice g = it == map.devices().end() ? GuestDevice{} : it->second;
      disk.volumes.push_back({++index, g.fstype, g.label, g.size, "lvm:" + vg + ":" + *members + ":" + lv});
    }
    synthetic.push_back(std::move(disk));
  }
  for (auto& d : synthetic) disks.push_back(std::move(d));
  return warnings;
}

}  // namespace alfs
