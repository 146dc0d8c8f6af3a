// `--version`: the CLI's version, and what a mount would run: the guest image and QEMU.
#pragma once

#include <string>

namespace alfs::cli {

// Several lines; never throws (what cannot be found is said so).
std::string version_text();

}  // namespace alfs::cli
