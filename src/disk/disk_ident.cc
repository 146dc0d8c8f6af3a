#include "disk/disk_ident.h"

#include <charconv>

#include "common/error.h"

namespace alfs {
namespace {

constexpr std::string_view kLvmPrefix = "lvm:";
constexpr std::string_view kRaidPrefix = "raid:";
constexpr std::string_view kLvmUsage = "an lvm identifier needs lvm:<vg>:<disk>[:<disk>...]:<lv>";
constexpr std::string_view kRaidUsage = "a raid identifier needs raid:<disk>[:<disk>...]";

std::vector<std::string_view> split_colons(std::string_view s) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto colon = s.find(':');
    parts.push_back(s.substr(0, colon));
    if (colon == std::string_view::npos) return parts;
    s.remove_prefix(colon + 1);
  }
}

Error bad_ident(std::string_view text, std::string_view why) {
  return Error("bad disk identifier '" + std::string(text) + "': " + std::string(why));
}

// "@sN" is a partition suffix only after the last '@' of the final path component,
// so directories such as "backups@server/disk.img" stay usable.
DiskRef parse_disk(std::string_view text, std::string_view part, size_t index) {
  if (part.empty()) throw bad_ident(text, "disk " + std::to_string(index) + " is empty");
  DiskRef disk{std::string(part), 0};
  auto at = part.rfind('@');
  if (at == std::string_view::npos) return disk;
  std::string_view suffix = part.substr(at + 1);
  if (suffix.empty() || suffix[0] != 's' || suffix.find('/') != std::string_view::npos) return disk;

  std::string_view digits = suffix.substr(1);
  int n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 1) {
    throw Error("bad partition suffix '@" + std::string(suffix) + "' in '" + std::string(part) +
                "': expected @s<N> with N >= 1");
  }
  if (at == 0) throw bad_ident(text, "no path before '@" + std::string(suffix) + "'");
  disk.path = std::string(part.substr(0, at));
  disk.partition = n;
  return disk;
}

std::vector<DiskRef> parse_disks(std::string_view text, const std::vector<std::string_view>& parts) {
  std::vector<DiskRef> disks;
  for (size_t i = 0; i < parts.size(); ++i) disks.push_back(parse_disk(text, parts[i], i + 1));
  return disks;
}

// LVM accepts only these characters in VG and LV names; checking here gives the
// error before a VM is booted for nothing.
void check_lvm_name(std::string_view text, std::string_view what, std::string_view name) {
  if (name.empty()) throw bad_ident(text, std::string(what) + " name is empty; " + std::string(kLvmUsage));
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '_' ||
              c == '.' || c == '-';
    if (!ok) {
      throw bad_ident(text, std::string(what) + " name '" + std::string(name) +
                                "' has a character LVM does not allow (only letters, digits, + _ . -)");
    }
  }
}

std::string join_disks(const std::vector<DiskRef>& disks) {
  std::string out;
  for (const auto& d : disks) {
    if (!out.empty()) out += ':';
    out += to_string(d);
  }
  return out;
}

}  // namespace

DiskIdent parse_disk_ident(std::string_view text) {
  if (text.empty()) throw Error("empty disk identifier: expected a device, an image file, lvm:... or raid:...");
  DiskIdent ident;
  ident.text = std::string(text);

  if (text.starts_with(kLvmPrefix)) {
    auto parts = split_colons(text.substr(kLvmPrefix.size()));
    if (parts.size() < 3) throw bad_ident(text, kLvmUsage);
    ident.kind = DiskIdent::Kind::kLvm;
    check_lvm_name(text, "volume group", parts.front());
    check_lvm_name(text, "logical volume", parts.back());
    ident.vg = std::string(parts.front());
    ident.lv = std::string(parts.back());
    ident.disks = parse_disks(text, {parts.begin() + 1, parts.end() - 1});
    return ident;
  }

  if (text.starts_with(kRaidPrefix)) {
    std::string_view rest = text.substr(kRaidPrefix.size());
    if (rest.empty()) throw bad_ident(text, kRaidUsage);
    ident.kind = DiskIdent::Kind::kRaid;
    ident.disks = parse_disks(text, split_colons(rest));
    return ident;
  }

  ident.disks = parse_disks(text, split_colons(text));
  ident.kind = ident.disks.size() == 1 ? DiskIdent::Kind::kSingle : DiskIdent::Kind::kMulti;
  return ident;
}

std::string to_string(const DiskRef& disk) {
  if (disk.partition == 0) return disk.path;
  return disk.path + "@s" + std::to_string(disk.partition);
}

std::string to_string(const DiskIdent& ident) {
  switch (ident.kind) {
    case DiskIdent::Kind::kLvm:
      return std::string(kLvmPrefix) + ident.vg + ":" + join_disks(ident.disks) + ":" + ident.lv;
    case DiskIdent::Kind::kRaid:
      return std::string(kRaidPrefix) + join_disks(ident.disks);
    case DiskIdent::Kind::kSingle:
    case DiskIdent::Kind::kMulti:
      break;
  }
  return join_disks(ident.disks);
}

}  // namespace alfs
