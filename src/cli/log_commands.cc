// log, dmesg: the latest run's host log and guest console (kernel + agent) log.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/printable.h"
#include "host/paths.h"

namespace alfs::cli {

namespace fs = std::filesystem;

namespace {

std::string latest(const std::string& name) {
  Paths paths = resolve_paths();
  std::string link = paths.logs_dir + "/" + name;
  std::error_code ec;
  if (!fs::exists(link, ec)) throw Error("no log yet: nothing has been mounted (" + link + ")");
  return fs::canonical(link).string();
}

// The instance that writes `log_file` (<logs>/<id>.log) is running while its directory exists.
bool instance_running(const std::string& log_file) {
  std::string id = fs::path(log_file).stem().string();
  return fs::exists(resolve_paths().instances_dir + "/" + id);
}

}  // namespace

int log_command(bool follow) {
  std::string file = latest("latest.log");
  UniqueFd fd = open_file(file, O_RDONLY);
  char buf[65536];
  // Whole lines are escaped (the log quotes the guest): a character cut by a read is not
  // taken for a stray byte.
  std::string pending;
  auto print_lines = [&](bool all) {
    size_t end = all ? pending.size() : pending.rfind('\n') + 1;  // npos + 1: none
    std::fputs(printable(std::string_view(pending).substr(0, end), true).c_str(), stdout);
    pending.erase(0, end);
  };
  // The supervisor's last line follows the removal of its instance: one more pass
  // after it is gone takes that line too.
  for (bool last_pass = !follow;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      pending.append(buf, static_cast<size_t>(n));
      print_lines(false);
      continue;
    }
    print_lines(last_pass);
    std::fflush(stdout);
    if (last_pass) break;
    last_pass = !instance_running(file);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 0;
}

int dmesg_command() {
  // The guest's kernel and agent wrote it: escaped like everything else of the guest's.
  std::fputs(printable(read_file(latest("latest.console.log")), true).c_str(), stdout);
  return 0;
}

}  // namespace alfs::cli
