// `list -d`'s handling of what the guest reports, on any text:
//   guest side: Inspector::parse_blkid_export (blkid -o export) and
//     Inspector::devices_from_lsblk (lsblk -J, embedded as the inspector finds it);
//   host side: apply_inspection of the text as an "inspected" report, and of the report
//     the inspector would make from it as lsblk output, over a fixed set of host disks.
// Nothing may throw but alfs::Error; the rows it adds carry identifiers `mount` accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "common/error.h"
#include "disk/disk_ident.h"
#include "disk/guest_listing.h"
#include "guest/inspector.h"

using nlohmann::json;

namespace {

alfs::ListedDisk disk(const std::string& path, alfs::DiskKind kind, std::vector<std::pair<int, std::string>> rows) {
  alfs::ListedDisk d;
  d.path = path;
  d.kind = kind;
  d.size_bytes = 1 << 30;
  for (const auto& [index, type] : rows)
    d.volumes.push_back({index, type, "", 1 << 20, index == 0 ? path : path + "@s" + std::to_string(index)});
  return d;
}

// As `list` names them: images, a partitioned one, a block device; /dev/vda.. in order.
std::vector<alfs::ListedDisk> host_disks() {
  return {disk("pv.img", alfs::DiskKind::kImage, {{0, "LVM2_member"}}),
          disk("parts.img", alfs::DiskKind::kImage, {{1, "linux_raid_member"}, {2, "crypto_LUKS"}}),
          disk("/dev/sdb", alfs::DiskKind::kExternal, {{1, "linux_raid_member"}}),
          disk("luks.img", alfs::DiskKind::kImage, {{0, "crypto_LUKS"}})};
}

bool lvm_name(const std::string& name) {
  return !name.empty() &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") ==
             std::string::npos;
}

void apply(const json& report) {
  std::vector<alfs::ListedDisk> disks = host_disks();
  size_t before = disks.size();
  try {
    alfs::apply_inspection(disks, {0, 1, 2, 3}, report);
  } catch (const alfs::Error&) {
    return;
  }
  for (size_t i = before; i < disks.size(); ++i) {
    const alfs::ListedDisk& d = disks[i];
    if (d.kind == alfs::DiskKind::kVolume) {
      // raid:<members>: the members are host identifiers, always nameable.
      FUZZ_CHECK(d.path.starts_with("raid:"), d.path);
      alfs::DiskIdent ident;
      try {
        ident = alfs::parse_disk_ident(d.path);
      } catch (const alfs::Error& e) {
        FUZZ_CHECK(false, d.path + ": " + e.what());
      }
      FUZZ_CHECK(ident.kind == alfs::DiskIdent::Kind::kRaid, d.path);
    } else {
      FUZZ_CHECK(d.kind == alfs::DiskKind::kVolumeGroup && d.path.starts_with("lvm:"), d.path);
      // LVM allows only these names, so a real guest reports no others.
      for (const auto& v : report.value("volumes", json::array())) {
        if (!v.is_object() || !v.value("vg", json()).is_string() || !v.value("lv", json()).is_string() ||
            !lvm_name(v["vg"].get<std::string>()) || !lvm_name(v["lv"].get<std::string>()))
          return;
      }
      for (const auto& row : d.volumes) {
        try {
          alfs::DiskIdent ident = alfs::parse_disk_ident(row.identifier);
          FUZZ_CHECK(ident.kind == alfs::DiskIdent::Kind::kLvm, row.identifier);
        } catch (const alfs::Error& e) {
          FUZZ_CHECK(false, row.identifier + ": " + e.what());
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto blkid = alfs::guest::Inspector::parse_blkid_export(text);
  for (const auto& [device, found] : blkid) FUZZ_CHECK(!device.empty(), text);

  // The inspector takes the JSON document among a tool's warning lines.
  auto open = text.find('{'), close = text.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return 0;
  json document = json::parse(text.substr(open, close - open + 1), nullptr, false);
  if (document.is_discarded()) return 0;

  apply(document);
  json devices = alfs::guest::Inspector::devices_from_lsblk(document);
  FUZZ_CHECK(devices.is_array(), devices.dump());
  for (auto& d : devices) {
    FUZZ_CHECK(d.is_object() && d["path"].is_string() && !d["path"].get<std::string>().empty(), d.dump());
    auto it = blkid.find(d["path"].get<std::string>());
    d["fstype"] = it == blkid.end() ? "" : it->second.first;
    d["label"] = it == blkid.end() ? "" : it->second.second;
  }
  json report = {{"type", "inspected"}, {"devices", devices}, {"volumes", json::array()}, {"errors", json::array()}};
  if (document.is_object() && document.contains("volumes")) report["volumes"] = document["volumes"];
  apply(report);
  return 0;
}
