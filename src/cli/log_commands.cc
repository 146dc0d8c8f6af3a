// log, dmesg: the latest run's host log and guest console (kernel + agent) log.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fd.h"
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
  // The supervisor's last line follows the removal of its instance: one more pass
  // after it is gone takes that line too.
  for (bool last_pass = !follow;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
      continue;
    }
    std::fflush(stdout);
    if (last_pass) break;
    last_pass = !instance_running(file);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 0;
}

int dmesg_command() {
  std::fputs(read_file(latest("latest.console.log")).c_str(), stdout);
  return 0;
}

}  // namespace alfs::cli
