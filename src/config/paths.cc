#include "config/paths.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/guest_arch.h"
#include "common/os.h"

namespace alfs {

namespace fs = std::filesystem;

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// Root acting for a sudo user works in that user's home.
void resolve_owner(Paths& p) {
  p.owner_uid = ::getuid();
  p.owner_gid = ::getgid();
  const char* sudo_user = std::getenv("SUDO_USER");
  if (::geteuid() == 0 && sudo_user && *sudo_user && std::string(sudo_user) != "root") {
    if (passwd* pw = ::getpwnam(sudo_user)) {
      p.owner_uid = pw->pw_uid;
      p.owner_gid = pw->pw_gid;
      p.home = pw->pw_dir;
      return;
    }
  }
  if (const char* h = std::getenv("HOME"); h && *h) {
    p.home = h;
  } else if (passwd* pw = ::getpwuid(::getuid())) {
    p.home = pw->pw_dir;
  } else {
    throw Error("cannot find the home directory: $HOME is not set");
  }
}

std::string beside_binary(const fs::path& exe_dir, const std::string& relative) {
  return (exe_dir / relative).lexically_normal().string();
}
}  // namespace

Paths resolve_paths() {
  Paths p;
  resolve_owner(p);
  p.data_dir = p.home + "/.anylinuxfs";
  p.image_root = env_or("ALFS_IMAGE_DIR", p.data_dir + "/image");
  p.image_root_is_roots = p.image_root != p.data_dir + "/image";
  if (!p.image_root_is_roots) p.system_image_root = kSystemImageRoot;
  p.instances_dir = p.data_dir + "/instances";
  p.logs_dir = p.data_dir + "/logs";
  fs::path exe = executable_path();
  // The install's layout (by default bin/anylinuxfs -> ../libexec/anylinuxfs/anylinuxfs-agent,
  // ../share/anylinuxfs/), which the build tree mirrors.
  // A foreign guest's agent (common/guest_arch.h) in a directory named for its architecture.
  GuestArch arch = guest_arch();
  p.agent_binary = env_or(
      "ALFS_AGENT", beside_binary(exe.parent_path(), std::string(ALFS_LIBEXEC_FROM_BIN) +
                                                         (arch.foreign ? "/" + arch.name : "") + "/anylinuxfs-agent"));
  p.share_dir = env_or("ALFS_SHARE_DIR", beside_binary(exe.parent_path(), ALFS_DATA_FROM_BIN));
  return p;
}

namespace {
// Creates the missing directories of `path`, top down.
void create_missing(const fs::path& path, int mode) {
  if (path.empty() || fs::exists(path)) return;
  create_missing(path.parent_path(), mode);
  std::error_code ec;
  if (!fs::create_directory(path, ec) && ec)
    throw Error("cannot create directory " + path.string() + ": " + ec.message());
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
}
}  // namespace

void make_dirs(const std::string& path, int mode) { create_missing(fs::path(path).lexically_normal(), mode); }

std::string log_file(const Paths& paths, const std::string& id) { return paths.logs_dir + "/" + id + ".log"; }

std::string console_log_file(const Paths& paths, const std::string& id) {
  return paths.logs_dir + "/" + id + ".console.log";
}

UniqueFd open_run_log(const Paths& paths, const std::string& id) {
  return open_file(log_file(paths, id), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW, 0600);
}

void mark_latest_logs(const Paths& paths, const std::string& id, const std::set<std::string>& running) {
  for (const auto& [target, name] :
       {std::pair{log_file(paths, id), "latest.log"}, std::pair{console_log_file(paths, id), "latest.console.log"}}) {
    std::string link = paths.logs_dir + "/" + name;
    std::string tmp = link + ".new";
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) == 0) ::rename(tmp.c_str(), link.c_str());
  }
  prune_logs(paths.logs_dir, id, running, kKeptRuns);
}

void prune_logs(const std::string& logs_dir, const std::string& current, const std::set<std::string>& running,
                size_t keep) {
  std::map<std::string, fs::file_time_type> runs;  // id -> newest mtime of its logs
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(logs_dir, ec)) {
    if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) continue;  // latest.log and the like
    std::string name = entry.path().filename();
    std::string id;
    if (name.ends_with(".console.log"))
      id = name.substr(0, name.size() - 12);
    else if (name.ends_with(".log"))
      id = name.substr(0, name.size() - 4);
    if (id.empty() || id == current) continue;
    auto mtime = entry.last_write_time(ec);
    if (ec) continue;
    auto [it, added] = runs.emplace(id, mtime);
    if (!added) it->second = std::max(it->second, mtime);
  }
  std::vector<std::pair<fs::file_time_type, std::string>> newest_first;
  for (const auto& [id, mtime] : runs) newest_first.emplace_back(mtime, id);
  std::sort(newest_first.rbegin(), newest_first.rend());
  size_t others_kept = keep > 0 ? keep - 1 : 0;  // the current run is one of the `keep`
  for (size_t i = others_kept; i < newest_first.size(); ++i) {
    const std::string& id = newest_first[i].second;
    if (running.contains(id)) continue;
    fs::remove(logs_dir + "/" + id + ".log", ec);
    fs::remove(logs_dir + "/" + id + ".console.log", ec);
  }
}

}  // namespace alfs
