// libblkid probing as `mount` and `list` use it, on an image file holding any bytes:
// probe_path, list_partitions and probe_partition answer or throw alfs::Error; a
// partition whose content was probed lies inside the image.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "common/error.h"
#include "disk/probe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static InputFile input;
  const std::string& image = input.write(std::string_view(reinterpret_cast<const char*>(data), size));

  try {
    alfs::ProbeResult whole = alfs::probe_path(image);
    FUZZ_CHECK(whole.size_bytes == size, std::to_string(whole.size_bytes));
    FUZZ_CHECK(!whole.ambivalent || whole.fstype.empty(), whole.fstype);
  } catch (const alfs::Error&) {
  }

  std::vector<alfs::PartitionInfo> partitions;
  try {
    partitions = alfs::list_partitions(image);
  } catch (const alfs::Error&) {
    return 0;
  }
  for (const alfs::PartitionInfo& p : partitions) {
    std::string what = "partition " + std::to_string(p.number) + " at " + std::to_string(p.start_bytes) + " size " +
                       std::to_string(p.size_bytes) + " of " + std::to_string(size) + " bytes";
    if (!p.content.fstype.empty() || p.content.ambivalent)
      FUZZ_CHECK(p.start_bytes <= size && p.size_bytes <= size - p.start_bytes, what);
    try {
      alfs::PartitionInfo again = alfs::probe_partition(image, p.number);
      FUZZ_CHECK(again.start_bytes <= size && again.size_bytes <= size - again.start_bytes, what);
    } catch (const alfs::Error&) {
    }
  }
  try {
    alfs::probe_partition(image, 1);
  } catch (const alfs::Error&) {
  }
  return 0;
}
