#include "disk/guest_listing.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <type_traits>

#include "common/error.h"

namespace alfs {

using nlohmann::json;

namespace {

struct GuestDevice {
  std::string kind, fstype, label;
  uint64_t size = 0;
  std::vector<std::string> parents;
};

// The report's parts, read before any disk is touched: a report unlike the one
// guest/inspector.h sends is an Error, which `list` shows on the disks it concerns.
struct Report {
  std::map<std::string, GuestDevice> devices;
  std::vector<std::pair<std::string, std::string>> errors;  // (device, message)
  std::vector<std::array<std::string, 3>> volumes;          // (vg, lv, device)
};

Error malformed(const std::string& why) { return Error("malformed report from the guest: " + why); }

// `name` of the object `what`: `fallback` when absent or null.
template <typename T>
T field(const json& object, const char* name, T fallback, const char* what) {
  if (!object.is_object()) throw malformed(std::string(what) + " is not an object");
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return fallback;
  bool ok = true;
  if constexpr (std::is_same_v<T, uint64_t>) ok = it->is_number_unsigned();
  if constexpr (std::is_same_v<T, std::string>) ok = it->is_string();
  if constexpr (std::is_same_v<T, json>) ok = it->is_array();
  if constexpr (std::is_same_v<T, std::vector<std::string>>)
    ok = it->is_array() && std::all_of(it->begin(), it->end(), [](const json& e) { return e.is_string(); });
  if (!ok) throw malformed("\"" + std::string(name) + "\" of " + what + " has the wrong type");
  return it->get<T>();
}

Report read_report(const json& report) {
  Report r;
  for (const auto& d : field(report, "devices", json::array(), "the report")) {
    r.devices[field(d, "path", std::string(), "a device")] = {
        field(d, "kind", std::string(), "a device"), field(d, "fstype", std::string(), "a device"),
        field(d, "label", std::string(), "a device"), field(d, "size", uint64_t{0}, "a device"),
        field(d, "parents", std::vector<std::string>(), "a device")};
  }
  for (const auto& e : field(report, "errors", json::array(), "the report"))
    r.errors.emplace_back(field(e, "device", std::string(), "an error"),
                          field(e, "message", std::string(), "an error"));
  for (const auto& v : field(report, "volumes", json::array(), "the report")) {
    r.volumes.push_back({field(v, "vg", std::string(), "a volume"), field(v, "lv", std::string(), "a volume"),
                         field(v, "device", std::string(), "a volume")});
  }
  return r;
}

// "/dev/vdb2" -> (1, 2); "/dev/vdb" -> (1, 0); anything else: nothing. (`list` attaches
// at most 26 disks, so one letter.)
std::optional<std::pair<size_t, int>> attached_position(const std::string& path) {
  const std::string prefix = "/dev/vd";
  if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size()) return std::nullopt;
  char letter = path[prefix.size()];
  if (letter < 'a' || letter > 'z') return std::nullopt;
  std::string_view rest = std::string_view(path).substr(prefix.size() + 1);
  if (rest.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int partition = 0;
  // A number too big for a partition is none of the host's.
  if (!rest.empty() && std::from_chars(rest.data(), rest.data() + rest.size(), partition).ec != std::errc())
    return std::nullopt;
  return std::make_pair(static_cast<size_t>(letter - 'a'), partition);
}

class Mapper {
 public:
  Mapper(std::vector<ListedDisk>& disks, const std::vector<size_t>& attached,
         std::map<std::string, GuestDevice> devices)
      : disks_(disks), attached_(attached), devices_(std::move(devices)) {}

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
  // or the encrypted container an opened mapping came from (followed `depth` times at
  // most: a report whose mappings form a cycle names nothing).
  std::optional<std::string> host_identifier(const std::string& path, int depth = 8) {
    if (auto pos = attached_position(path)) {
      ListedDisk* disk = disk_of(pos->first);
      if (!disk) return std::nullopt;
      if (ListedVolume* row = row_of(path); row && !row->identifier.empty()) return row->identifier;
      return pos->second == 0 ? disk->path : disk->path + "@s" + std::to_string(pos->second);
    }
    auto it = devices_.find(path);
    if (depth > 0 && it != devices_.end() && it->second.kind == "crypt" && it->second.parents.size() == 1)
      return host_identifier(it->second.parents.front(), depth - 1);
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
  Report r = read_report(report);
  Mapper map(disks, attached, std::move(r.devices));
  std::vector<std::string> warnings;
  for (auto& [device, message] : r.errors) {
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
    if (!members || parents.empty()) {
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
  for (const auto& [vg, lv, device] : r.volumes) groups[vg].emplace_back(lv, device);
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
