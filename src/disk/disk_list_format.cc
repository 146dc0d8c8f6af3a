#include "disk/disk_list_format.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace alfs {

namespace {

using Json = nlohmann::ordered_json;  // keys in the documented order

constexpr size_t kTypeWidth = 26;
constexpr size_t kNameWidth = 23;
constexpr size_t kSizeWidth = 10;

// Widths count characters, not bytes: labels may be UTF-8.
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// The first `width` characters of s, ending in "..." when it is longer.
std::string truncate(const std::string& s, size_t width) {
  if (display_width(s) <= width) return s;
  size_t keep = width - 3, chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 && chars++ == keep) break;
  }
  return s.substr(0, i) + "...";
}

std::string pad_left(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

std::string pad_right(const std::string& s, size_t width) {
  size_t w = display_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

// A marked row (row 0) gives the name column's last character to the size's '*' or '+',
// as diskutil does, so the sizes of all rows stay aligned.
std::string row(int index, const std::string& type, const std::string& name, uint64_t size, char mark,
                const std::string& identifier) {
  std::string line = pad_left(std::to_string(index), 4) + ": " + pad_left(type, kTypeWidth) + " ";
  if (mark != 0) {
    line += pad_right(truncate(name, kNameWidth - 1), kNameWidth - 1) + " " + mark;
  } else {
    line += pad_right(truncate(name, kNameWidth), kNameWidth) + " ";
  }
  return line + pad_right(format_size(size), kSizeWidth) + " " + identifier + "\n";
}

std::string kind_text(DiskKind kind) {
  switch (kind) {
    case DiskKind::kExternal:
      return "external, physical";
    case DiskKind::kInternal:
      return "internal, physical";
    case DiskKind::kImage:
      return "disk image";
    case DiskKind::kVolume:
      return "volume";
    case DiskKind::kVolumeGroup:
      return "volume group";
  }
  return {};
}

// JSON names of the kinds (docs/list-json.md).
std::string kind_key(DiskKind kind) {
  switch (kind) {
    case DiskKind::kExternal:
      return "external";
    case DiskKind::kInternal:
      return "internal";
    case DiskKind::kImage:
      return "image";
    case DiskKind::kVolume:
      return "volume";
    case DiskKind::kVolumeGroup:
      return "volume_group";
  }
  return {};
}

std::string scheme_text(const std::string& scheme) {
  if (scheme == "gpt") return "GUID_partition_scheme";
  if (scheme == "dos") return "FDisk_partition_scheme";
  return scheme;
}

// diskutil marks the size of physical disks with '*' and of synthesized ones with '+'.
char size_mark(DiskKind kind) { return kind == DiskKind::kExternal || kind == DiskKind::kInternal ? '*' : '+'; }

Json text_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

}  // namespace

std::string format_size(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  // Compare what will be printed, so that 999.96 KB shows as 1.0 MB rather than 1000.0 KB.
  while (unit + 1 < std::size(kUnits) && value >= 999.95) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

std::string format_table(const std::vector<ListedDisk>& disks) {
  std::string out;
  for (const ListedDisk& disk : disks) {
    if (!out.empty()) out += "\n";
    out += disk.path + " (" + kind_text(disk.kind) + "):\n";
    if (!disk.error.empty()) out += "   error: " + disk.error + "\n";
    std::string rows;
    char mark = size_mark(disk.kind);
    if (disk.format == "qcow2") rows += row(0, "qcow2", "", disk.size_bytes, mark, disk.path);
    if (!disk.scheme.empty()) rows += row(0, scheme_text(disk.scheme), "", disk.size_bytes, mark, disk.path);
    for (const ListedVolume& v : disk.volumes) {
      // An opened container shows what it holds: "crypto_LUKS: ext4" and the inner label.
      std::string type = v.inside_type.empty() ? v.type : v.type + ": " + v.inside_type;
      // Unknown content shows the partition's type instead, as diskutil does ("Linux Filesystem").
      if (type.empty()) type = v.partition_type;
      std::string name = v.name.empty() ? v.inside_name : v.name;
      rows += row(v.index, type, name, v.size_bytes, v.index == 0 ? mark : 0, v.identifier);
    }
    if (!rows.empty())
      out += "   #:" + pad_left("TYPE", kTypeWidth + 1) + " " + pad_right("NAME", kNameWidth) + " " +
             pad_right("SIZE", kSizeWidth) + " IDENTIFIER\n" + rows;
  }
  return out;
}

std::string format_json(const std::vector<ListedDisk>& disks) {
  Json list = Json::array();
  for (const ListedDisk& disk : disks) {
    Json d = {{"path", disk.path},
              {"kind", kind_key(disk.kind)},
              {"format", disk.format},
              {"scheme", text_or_null(disk.scheme)},
              {"size_bytes", disk.size_bytes}};
    if (!disk.backing_file.empty()) d["backing_file"] = disk.backing_file;
    if (!disk.error.empty()) d["error"] = disk.error;
    Json volumes = Json::array();
    for (const ListedVolume& v : disk.volumes) {
      Json volume = {{"index", v.index},
                     {"type", text_or_null(v.type)},
                     {"name", v.name},
                     {"size_bytes", v.size_bytes},
                     {"identifier", v.identifier}};
      if (!v.partition_type.empty()) volume["partition_type"] = v.partition_type;
      if (!v.inside_type.empty()) volume["inside"] = {{"type", v.inside_type}, {"name", v.inside_name}};
      volumes.push_back(std::move(volume));
    }
    d["volumes"] = std::move(volumes);
    list.push_back(std::move(d));
  }
  return Json{{"disks", list}}.dump(2) + "\n";
}

}  // namespace alfs
