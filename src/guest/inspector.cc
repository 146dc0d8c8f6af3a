#include "guest/inspector.h"

#include <algorithm>
#include <sstream>

#include "guest/unlock.h"

namespace alfs::guest {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// blkid -o export escapes spaces and other shell specials with a backslash.
std::string unescape(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

// A tool's JSON field, or "" (0) when it is missing or not what the tool prints.
std::string text_field(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t bytes_field(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

void walk(const json& node, const std::string& parent, json& devices) {
  if (!node.is_object()) return;
  std::string path = text_field(node, "name");
  if (path.empty()) return;
  auto known = std::find_if(devices.begin(), devices.end(), [&](const json& d) { return d["path"] == path; });
  if (known == devices.end()) {
    devices.push_back({{"path", path},
                       {"kind", text_field(node, "type")},
                       {"size", bytes_field(node, "size")},
                       {"parents", json::array()}});
    known = devices.end() - 1;
  }
  // A device on several others (an LV over two PVs, an array) appears under each of them.
  if (!parent.empty() &&
      std::find((*known)["parents"].begin(), (*known)["parents"].end(), parent) == (*known)["parents"].end())
    (*known)["parents"].push_back(parent);
  if (auto children = node.find("children"); children != node.end() && children->is_array())
    for (const auto& child : *children) walk(child, path, devices);
}

// The JSON document in a tool's output, which may carry warning lines around it.
json parse_embedded(const std::string& text) {
  auto open = text.find('{'), close = text.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return json(json::value_t::discarded);
  return json::parse(text.substr(open, close - open + 1), nullptr, false);
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

json Inspector::devices_from_lsblk(const json& lsblk) {
  json devices = json::array();
  if (auto top = lsblk.find("blockdevices"); top != lsblk.end() && top->is_array())
    for (const auto& node : *top) walk(node, "", devices);
  return devices;
}

std::map<std::string, std::pair<std::string, std::string>> Inspector::parse_blkid_export(const std::string& text) {
  std::map<std::string, std::pair<std::string, std::string>> found;
  std::istringstream in(text + "\n\n");
  std::string line, dev, type, label;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (!dev.empty()) found[dev] = {type, label};
      dev.clear(), type.clear(), label.clear();
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = unescape(std::string_view(line).substr(eq + 1));
    if (key == "DEVNAME") dev = value;
    if (key == "TYPE") type = value;
    if (key == "LABEL") label = value;
  }
  return found;
}

json Inspector::inspect(protocol::InspectRequest request) {
  json errors = json::array();
  runner_.run({"modprobe", "-a", "-q", "dm_mod", "dm_crypt", "raid0", "raid1", "raid10", "raid456"}, 30s);
  for (auto& key : request.keys) {
    std::string name = "alfs-" + key.device.substr(key.device.rfind('/') + 1);
    if (auto e = unlock_device(runner_, key.device, name, key.secret, true))
      errors.push_back({{"device", key.device}, {"message", e->message}});
  }
  RunResult raid = runner_.run({"mdadm", "--assemble", "--scan", "--readonly"}, 120s);
  if (!raid.ok() && raid.output.find("No arrays found") == std::string::npos)
    errors.push_back({{"device", ""}, {"message", "mdadm: " + first_line(raid.output)}});
  // The image's lvmlocal.conf has LVM make its device nodes itself (no udev).
  RunResult lvm = runner_.run({"vgchange", "-ay"}, 120s);
  if (!lvm.ok()) errors.push_back({{"device", ""}, {"message", "vgchange: " + first_line(lvm.output)}});

  json devices = json::array();
  RunResult lsblk = runner_.run({"lsblk", "-J", "-b", "-p", "-o", "NAME,TYPE,SIZE"}, 30s);
  json tree = parse_embedded(lsblk.output);
  if (!lsblk.ok() || tree.is_discarded())
    errors.push_back({{"device", ""}, {"message", "lsblk: " + first_line(lsblk.output)}});
  else
    devices = devices_from_lsblk(tree);
  // lsblk takes types and labels from udev, which the guest does not run: blkid probes.
  auto probed = parse_blkid_export(runner_.run({"blkid", "-c", "/dev/null", "-o", "export"}, 60s).output);
  for (auto& d : devices) {
    auto it = probed.find(d["path"].get<std::string>());
    d["fstype"] = it == probed.end() ? "" : it->second.first;
    d["label"] = it == probed.end() ? "" : it->second.second;
  }

  json volumes = json::array();
  RunResult lvs =
      runner_.run({"lvs", "--reportformat", "json", "-o", "vg_name,lv_name,lv_dm_path", "--units", "b"}, 60s);
  json report = parse_embedded(lvs.output);
  if (lvs.ok() && !report.is_discarded()) {
    for (const auto& r : report.value("report", json::array()))
      for (const auto& lv : r.value("lv", json::array()))
        volumes.push_back(
            {{"vg", lv.value("vg_name", "")}, {"lv", lv.value("lv_name", "")}, {"device", lv.value("lv_dm_path", "")}});
  }
  return {{"type", "inspected"}, {"devices", devices}, {"volumes", volumes}, {"errors", errors}};
}

}  // namespace alfs::guest
