// parse_disk_ident on any text: it accepts it or throws alfs::Error (which reaches the
// user as a message); what it accepts is well-formed and to_string() round-trips it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "common/error.h"
#include "disk/disk_ident.h"

using alfs::DiskIdent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  DiskIdent ident;
  try {
    ident = alfs::parse_disk_ident(text);
  } catch (const alfs::Error&) {
    return 0;
  }
  FUZZ_CHECK(!ident.disks.empty(), ident.text);
  FUZZ_CHECK(ident.text == text, ident.text);
  for (const auto& disk : ident.disks) {
    FUZZ_CHECK(!disk.path.empty(), ident.text);
    FUZZ_CHECK(disk.partition >= 0, ident.text);
  }
  FUZZ_CHECK((ident.kind == DiskIdent::Kind::kLvm) == !ident.vg.empty(), ident.text);
  FUZZ_CHECK((ident.kind == DiskIdent::Kind::kLvm) == !ident.lv.empty(), ident.text);
  FUZZ_CHECK(
      (ident.kind == DiskIdent::Kind::kMulti) ==
          (ident.disks.size() > 1 && ident.kind != DiskIdent::Kind::kLvm && ident.kind != DiskIdent::Kind::kRaid),
      ident.text);

  std::string canonical = alfs::to_string(ident);
  DiskIdent again;
  try {
    again = alfs::parse_disk_ident(canonical);
  } catch (const alfs::Error& e) {
    FUZZ_CHECK(false, "'" + ident.text + "' -> '" + canonical + "' does not parse: " + e.what());
  }
  FUZZ_CHECK(again.kind == ident.kind, canonical);
  FUZZ_CHECK(again.disks == ident.disks, canonical);
  FUZZ_CHECK(again.vg == ident.vg && again.lv == ident.lv, canonical);
  FUZZ_CHECK(alfs::to_string(again) == canonical, canonical);
  return 0;
}
