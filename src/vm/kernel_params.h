// The guest kernel's command line shared by every backend (each adds its console and
// its own words).
#pragma once

#include <string>

#include "common/log_level.h"

namespace alfs::vm {

// "quiet loglevel=4 panic=-1 alfs_root=LABEL=<root_label> cryptomgr.notests=1 ...":
// the console shows what `log_level` lets it (kernel_console_loglevel: 4 for info); a
// panic ends the VM; stage 1 mounts the root by that label; and the self-tests and
// built-in initcalls the appliance never needs are skipped (a faster boot when emulated).
std::string guest_kernel_parameters(const std::string& root_label, LogLevel log_level = LogLevel::kInfo);

}  // namespace alfs::vm
