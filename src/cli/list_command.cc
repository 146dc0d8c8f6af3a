// list: the host's disks (or the named ones) and the identifiers `mount` accepts.
#include <cstdio>

#include "cli/commands.h"
#include "host/disk_list.h"
#include "host/disk_list_format.h"

namespace alfs::cli {

int list_command(const ListArgs& args) {
  ListFilter filter = args.linux_only ? ListFilter::kLinux : args.microsoft_only ? ListFilter::kMicrosoft : ListFilter::kDefault;
  // A disk the user named is shown even when nothing on it passes the filter.
  std::vector<ListedDisk> disks =
      filter_disks(args.disks.empty() ? list_host_disks() : list_named_disks(args.disks), filter, !args.disks.empty());
  std::string out = args.json ? format_json(disks) : format_table(disks);
  std::fputs(out.c_str(), stdout);
  for (const ListedDisk& disk : disks) {
    if (!disk.error.empty()) return 1;
  }
  return 0;
}

}  // namespace alfs::cli
