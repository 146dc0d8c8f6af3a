// log, dmesg: the latest run's host log and guest console (kernel + agent) log.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/printable.h"
#include "config/paths.h"

namespace alfs::cli {

namespace fs = std::filesystem;

namespace {

// The log `name` (latest.log, latest.console.log) points at, open: only a regular file
// directly in the logs directory, as the runs make them (mark_latest_logs), whatever a
// user may have put in its place.
UniqueFd open_latest(const std::string& name, std::string& file) {
  Paths paths = resolve_paths();
  std::string link = paths.logs_dir + "/" + name;
  std::error_code ec;
  fs::path target = fs::read_symlink(link, ec);
  if (ec == std::errc::no_such_file_or_directory) throw Error("no log yet: nothing has been mounted (" + link + ")");
  if (ec) throw Error("cannot read " + link + ": " + ec.message());
  std::string log = target.filename();
  if (target.has_parent_path() && target.parent_path() != paths.logs_dir) log.clear();
  if (log.empty() || log.starts_with('.') || !log.ends_with(".log"))
    throw Error(link + " points outside the logs directory (" + target.string() + ")");
  file = paths.logs_dir + "/" + log;
  UniqueFd fd = open_file(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw Error(file + " is not a log file");
  return fd;
}

// The instance that writes `log_file` (<logs>/<id>.log) is running while its directory exists.
bool instance_running(const std::string& log_file) {
  std::string id = fs::path(log_file).stem().string();
  return fs::exists(resolve_paths().instances_dir + "/" + id);
}

// Prints the log `name` points at; with `follow`, until its instance has ended.
int print_latest(const std::string& name, bool follow) {
  std::string file;
  UniqueFd fd = open_latest(name, file);
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
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot read " + file);
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

}  // namespace

int log_command(bool follow) { return print_latest("latest.log", follow); }

int dmesg_command() { return print_latest("latest.console.log", false); }

}  // namespace alfs::cli
