// A saved guest (instance/guest_template.h) is a QEMU migration stream. In it, every page
// of the guest's RAM has a record, and a record for a page of zeros makes the restoring
// QEMU read that page to see whether it must clear it: that read gives the page host
// memory (here, and a whole 2 MiB huge page on hosts that map the zero page on a read and
// back the write that follows with a huge page). A guest of 512 MiB that uses 90 MB
// came back holding all 512 MiB, and first touches of memory the host had taken back
// cost up to 0.9 s per restore here.
//
// drop_zero_pages() writes the stream without those records, for the machine's RAM only:
// a restoring QEMU allocates that RAM as fresh anonymous memory, zeros, and does not load
// the kernel or firmware into it while it waits for the stream (checked by the e2e
// instant_mount test). Everything else is copied as it is.
#pragma once

#include <cstdint>
#include <optional>

namespace alfs::vm {

struct ZeroPages {
  uint64_t pages = 0;    // page records of the machine's RAM read
  uint64_t dropped = 0;  // of them, the zero pages left out
};

// Copies the stream read from `in` to `out`, leaving out the records of the machine RAM's
// zero pages. nullopt when the stream has something this reader does not know (another
// format version, a configuration with subsections, compressed or delta pages, a
// section other than RAM before the RAM's last part) or ends early: `out` is then
// incomplete and must not be used. Throws SystemError when reading or writing fails.
std::optional<ZeroPages> drop_zero_pages(int in, int out);

}  // namespace alfs::vm
