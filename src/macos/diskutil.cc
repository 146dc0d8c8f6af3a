#include "macos/diskutil.h"

#include <charconv>
#include <optional>

#include "common/error.h"
#include "macos/plist.h"

namespace alfs {

namespace {

struct Identifier {
  int disk = 0;
  int partition = 0;  // 0: the whole disk
};

int parse_number(std::string_view text) {
  int n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && n >= 0 ? n : -1;
}

// "disk4" and "disk4s2"; anything else (an APFS snapshot's "disk3s1s1") is nullopt.
std::optional<Identifier> parse_identifier(std::string_view id) {
  if (!id.starts_with("disk")) return std::nullopt;
  id.remove_prefix(4);
  size_t s = id.find('s');
  Identifier parsed{parse_number(id.substr(0, s)), 0};
  if (s != std::string_view::npos) parsed.partition = parse_number(id.substr(s + 1));
  if (parsed.disk < 0 || parsed.partition < 0 || (s != std::string_view::npos && parsed.partition == 0))
    return std::nullopt;
  return parsed;
}

std::string where(const Plist& value) { return "line " + std::to_string(value.line()) + ": "; }

uint64_t size_of(const Plist& entry) {
  const Plist& size = entry.at("Size");
  if (size.integer() < 0) throw Error(where(size) + "negative size");
  return static_cast<uint64_t>(size.integer());
}

std::string optional_string(const Plist& dict, std::string_view key) {
  const Plist* value = dict.find(key);
  return value ? value->string() : std::string();
}

// diskutil's partition scheme names, as libblkid names the tables.
std::string scheme_of(const std::string& content) {
  if (content == "GUID_partition_scheme") return "gpt";
  if (content == "FDisk_partition_scheme") return "dos";
  if (content == "Apple_partition_scheme") return "mac";
  return {};
}

// Partitions holding APFS containers: their volumes are macOS's own (and appear again
// as the synthesized disk of the container).
bool is_apfs_partition(const std::string& content) {
  return content == "Apple_APFS" || content == "Apple_APFS_ISC" || content == "Apple_APFS_Recovery";
}

// diskutil's FilesystemType as libblkid names the filesystem.
std::string blkid_type(const std::string& filesystem) {
  if (filesystem == "msdos") return "vfat";
  if (filesystem == "hfs") return "hfsplus";
  if (filesystem == "cd9660") return "iso9660";
  return filesystem;  // ntfs, exfat, apfs, udf
}

// A disk of the list document with the rows it alone gives: what diskutil info and the
// probe cannot take away when they fail.
ListedDisk disk_from_list(const Plist& entry) {
  const Plist& id = entry.at("DeviceIdentifier");
  std::optional<Identifier> disk_id = parse_identifier(id.string());
  if (!disk_id || disk_id->partition != 0) throw Error(where(id) + id.string() + " is not a whole disk");
  ListedDisk disk;
  disk.path = "/dev/" + id.string();
  disk.size_bytes = size_of(entry);
  std::string content = optional_string(entry, "Content");
  const Plist* partitions = entry.find("Partitions");
  if (scheme_of(content).empty() && (!partitions || partitions->array().empty())) {
    disk.volumes.push_back({0, "", optional_string(entry, "VolumeName"), disk.size_bytes, disk.path});
    disk.volumes.back().partition_type = content;
    return disk;
  }
  // A scheme diskutil knows and libblkid does not name is shown as diskutil names it.
  disk.scheme = scheme_of(content).empty() ? content : scheme_of(content);
  static const std::vector<Plist> kNone;
  for (const Plist& p : partitions ? partitions->array() : kNone) {
    const Plist& part_id = p.at("DeviceIdentifier");
    std::optional<Identifier> parsed = parse_identifier(part_id.string());
    if (!parsed || parsed->disk != disk_id->disk || parsed->partition == 0)
      throw Error(where(part_id) + part_id.string() + " is not a partition of " + id.string());
    std::string part_content = optional_string(p, "Content");
    if (is_apfs_partition(part_content)) continue;
    disk.volumes.push_back(
        {parsed->partition, "", optional_string(p, "VolumeName"), size_of(p), "/dev/" + part_id.string()});
    disk.volumes.back().partition_type = part_content;
  }
  return disk;
}

// `diskutil info -plist <id>`, which reports its own failures as a document with Error set.
Plist read_info(const DiskutilInfo& info, const std::string& id) {
  Plist doc = parse_plist(info(id));
  if (const Plist* error = doc.find("Error"); error && error->boolean()) {
    std::string message = optional_string(doc, "ErrorMessage");
    throw Error(message.empty() ? "failed" : message);
  }
  return doc;
}

DiskKind kind_of(const Plist& info) {
  if (optional_string(info, "BusProtocol") == "Disk Image") return DiskKind::kImage;
  return info.at("Internal").boolean() ? DiskKind::kInternal : DiskKind::kExternal;
}

void describe(ListedVolume& volume, const Plist& info) {
  std::string filesystem = optional_string(info, "FilesystemType");
  if (!filesystem.empty()) volume.type = blkid_type(filesystem);
  if (volume.name.empty()) volume.name = optional_string(info, "VolumeName");
}

}  // namespace

std::vector<ListedDisk> disks_from_diskutil(std::string_view list_plist, const DiskutilInfo& info,
                                            const RawProbe& probe) {
  std::vector<ListedDisk> disks;
  try {
    Plist list = parse_plist(list_plist);
    for (const Plist& entry : list.at("AllDisksAndPartitions").array()) {
      if (entry.find("APFSPhysicalStores") || entry.find("APFSVolumes")) continue;  // a synthesized APFS container
      disks.push_back(disk_from_list(entry));
    }
  } catch (const Error& e) {
    throw Error(std::string("diskutil list -plist: ") + e.what());
  }

  for (ListedDisk& disk : disks) {
    // The first failure is the disk's error; the other rows are still described.
    auto attempt = [&](const std::string& id, const std::function<void()>& step) {
      try {
        step();
      } catch (const Error& e) {
        if (disk.error.empty()) disk.error = id.empty() ? e.what() : "diskutil info -plist " + id + ": " + e.what();
      }
    };
    std::string disk_id = disk.path.substr(5);
    std::optional<Plist> whole;
    attempt(disk_id, [&] {
      whole = read_info(info, disk_id);
      disk.kind = kind_of(*whole);
    });
    for (ListedVolume& volume : disk.volumes) {
      std::string id = volume.identifier.substr(5);
      attempt(id, [&] {
        if (volume.index == 0) {
          if (whole) describe(volume, *whole);
        } else {
          describe(volume, read_info(info, id));
        }
      });
      if (volume.type.empty()) {
        attempt("", [&] {
          ProbeResult content = probe(raw_device_path(volume.identifier));
          volume.type = content.fstype;
          if (volume.name.empty()) volume.name = content.label;
        });
      }
    }
  }
  return disks;
}

std::vector<ListedDisk> macos_host_disks(const CommandRunner& run, const RawProbe& probe) {
  RunResult list = run({"/usr/sbin/diskutil", "list", "-plist"});
  if (!list.ok()) throw Error("diskutil list -plist failed (" + list.status.describe() + "): " + list.output);
  // info's failures are documents too (read by disks_from_diskutil), whatever its status.
  auto info = [&](const std::string& identifier) {
    return run({"/usr/sbin/diskutil", "info", "-plist", identifier}).output;
  };
  return disks_from_diskutil(list.output, info, probe);
}

std::string raw_device_path(const std::string& path) {
  if (!path.starts_with("/dev/disk") || !parse_identifier(std::string_view(path).substr(5))) return path;
  return "/dev/r" + path.substr(5);
}

}  // namespace alfs
