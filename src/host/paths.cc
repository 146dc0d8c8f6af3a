#include "host/paths.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/error.h"

namespace alfs {

namespace fs = std::filesystem;

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string home_dir() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (passwd* pw = ::getpwuid(::getuid())) return pw->pw_dir;
  throw Error("cannot find the home directory: $HOME is not set");
}

std::string beside_binary(const fs::path& exe_dir, const std::string& relative) {
  return (exe_dir.parent_path() / relative).lexically_normal().string();
}
}  // namespace

Paths resolve_paths() {
  Paths p;
  p.home = home_dir();
  p.data_dir = p.home + "/.anylinuxfs";
  p.image_root = env_or("ALFS_IMAGE_DIR", "/var/cache/anylinuxfs/image");
  p.instances_dir = p.data_dir + "/instances";
  p.logs_dir = p.data_dir + "/logs";
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the anylinuxfs binary: /proc/self/exe: " + ec.message());
  // bin/anylinuxfs -> libexec/anylinuxfs/anylinuxfs-agent, share/anylinuxfs/ (same in the build tree)
  p.agent_binary = env_or("ALFS_AGENT", beside_binary(exe.parent_path(), "libexec/anylinuxfs/anylinuxfs-agent"));
  p.share_dir = env_or("ALFS_SHARE_DIR", beside_binary(exe.parent_path(), "share/anylinuxfs"));
  return p;
}

void make_dirs(const std::string& path, int mode) {
  std::error_code ec;
  bool created = fs::create_directories(path, ec);
  if (ec) throw Error("cannot create directory " + path + ": " + ec.message());
  if (created) ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

}  // namespace alfs
