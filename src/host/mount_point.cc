#include "host/mount_point.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "host/user_files.h"

namespace alfs {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxMountPointAttempts = 1000;

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string join(const std::string& dir, const std::string& name) {
  std::string d = strip_trailing_slashes(dir);
  return d == "/" ? "/" + name : d + "/" + name;
}

std::string file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "a file";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a directory";
}

// An unreadable directory counts as non-empty: nothing proves it is free.
bool directory_empty(const std::string& path, std::error_code& ec) {
  fs::directory_iterator it(path, ec);
  return !ec && it == fs::directory_iterator();
}

// Replaces what a path cannot hold or what would hide or confuse the directory: '/',
// control characters, leading dots (".." included) and surrounding blanks.
std::string sanitize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    out += (c == '/' || u < 0x20 || u == 0x7f) ? '_' : c;
  }
  size_t begin = out.find_first_not_of(". \t");
  if (begin == std::string::npos) return {};
  size_t end = out.find_last_not_of(" \t");
  return out.substr(begin, end + 1 - begin);
}

// Decodes the octal escapes mountinfo uses for space, tab, newline and backslash.
std::string decode_mountinfo_field(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      std::string_view oct = field.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string_view::npos) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

}  // namespace

std::string default_mount_base(bool is_root, const std::string& home, const std::string& dir) {
  if (is_root) return "/" + dir;
  if (home.empty()) throw Error("cannot choose a default mount point: HOME is not set (give a mount point)");
  if (home.front() != '/') {
    throw Error("cannot choose a default mount point: HOME (" + home + ") is not an absolute path");
  }
  return join(home, dir);
}

std::string choose_mount_point(const std::string& base, const std::string& name,
                               const std::function<bool(const std::string&)>& is_taken) {
  std::string first = join(base, name);
  if (!is_taken(first)) return first;
  for (int i = 1; i < kMaxMountPointAttempts; ++i) {
    std::string candidate = first + "-" + std::to_string(i);
    if (!is_taken(candidate)) return candidate;
  }
  throw Error("cannot choose a mount point: " + first + " and " + first + "-1 to " + first + "-" +
              std::to_string(kMaxMountPointAttempts - 1) + " are all taken");
}

std::vector<MountinfoEntry> parse_mountinfo(std::string_view text) {
  // Each line: mount-id parent-id major:minor root mount-point options [optional...] - fstype source super-options
  std::vector<MountinfoEntry> entries;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    std::vector<std::string_view> fields;
    while (!line.empty()) {
      size_t space = line.find(' ');
      fields.push_back(line.substr(0, space));
      line.remove_prefix(space == std::string_view::npos ? line.size() : space + 1);
    }
    if (fields.size() < 5 || fields[4].empty()) continue;
    MountinfoEntry entry{std::string(fields[2]), decode_mountinfo_field(fields[4]), {}, {}};
    auto separator = std::find(fields.begin() + 5, fields.end(), "-");
    if (fields.end() - separator > 1) entry.fstype = decode_mountinfo_field(separator[1]);
    if (fields.end() - separator > 2) entry.source = decode_mountinfo_field(separator[2]);
    entries.push_back(std::move(entry));
  }
  return entries;
}

bool is_mount_point(const std::string& path) {
  std::error_code ec;
  fs::path resolved = fs::canonical(path, ec);
  if (ec) return false;
  for (const MountinfoEntry& entry : parse_mountinfo(read_file("/proc/self/mountinfo"))) {
    if (entry.mount_point == resolved.string()) return true;
  }
  return false;
}

bool mount_point_taken(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno != ENOENT;
  if (!S_ISDIR(st.st_mode) || is_mount_point(path)) return true;
  std::error_code ec;
  return !directory_empty(path, ec);
}

std::string volume_name(const std::string& label, const std::string& disk_path) {
  std::string name = sanitize_name(label);
  if (!name.empty()) return name;
  // Devices are named by their node ("sdb1"); an image by its file name without the
  // extension, which for a device would cut names like "nvme0n1p2.x" short.
  fs::path path(strip_trailing_slashes(disk_path));
  name = sanitize_name(disk_path.starts_with("/dev/") ? path.filename().string() : path.stem().string());
  return name.empty() ? "disk" : name;
}

void validate_mount_point(const std::string& given) {
  if (given.empty()) throw Error("empty mount point");
  std::string path = strip_trailing_slashes(given);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) throw SystemError("cannot use mount point " + path);
    if (::lstat(path.c_str(), &st) == 0) {
      throw Error("mount point " + path + " is a symbolic link to a path that does not exist");
    }
    std::string parent = fs::path(path).parent_path().string();
    if (parent.empty()) parent = ".";
    if (::stat(parent.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        throw Error("mount point " + path + " does not exist and cannot be created: " + parent + " does not exist");
      }
      throw SystemError("cannot use mount point " + path + ": cannot inspect " + parent);
    }
    if (!S_ISDIR(st.st_mode)) {
      throw Error("mount point " + path + " cannot be created: " + parent + " is " + file_kind(st.st_mode) +
                  ", not a directory");
    }
    if (::access(parent.c_str(), W_OK) != 0)
      throw SystemError("mount point " + path + " cannot be created in " + parent);
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error("mount point " + path + " is " + file_kind(st.st_mode) + ", not a directory");
  }
  if (is_mount_point(path)) {
    throw Error("mount point " + path + " is already a mount point (something else is mounted there)");
  }
  std::error_code ec;
  bool empty = directory_empty(path, ec);
  if (ec) throw SystemError("cannot read mount point " + path, ec.value());
  if (!empty) throw Error("mount point " + path + " is not empty");
}

UsersMountPoint prepare_users_mount_point(const std::string& given, uid_t uid, bool root_mounts) {
  fs::path path(strip_trailing_slashes(given));
  std::error_code ec;
  fs::path parent = fs::canonical(path.parent_path(), ec);
  if (ec)
    throw Error("cannot use mount point " + path.string() + ": " + path.parent_path().string() + ": " + ec.message());
  UsersMountPoint result{(parent / path.filename()).string(), false};
  if (root_mounts) {
    for (fs::path dir = parent;; dir = dir.parent_path()) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) != 0) throw SystemError("cannot inspect " + dir.string());
      if (st.st_uid == uid || ::faccessat(AT_FDCWD, dir.c_str(), W_OK, AT_EACCESS) == 0) {
        throw Error("mount point " + result.path +
                    ": root mounts it for you (kernel NFS client, or no access to "
                    "/dev/fuse), so no directory above it may be yours or writable by you, and " +
                    dir.string() + " is; use the default mount point");
      }
      if (dir == dir.root_path()) break;
    }
  }
  struct stat st {};
  if (::lstat(result.path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      throw Error("mount point " + result.path + " is a symbolic link, not a directory of yours");
    if (!S_ISDIR(st.st_mode) || st.st_uid != uid) {
      throw Error(
          "mount point " + result.path +
          " is not yours: under sudo it must be a directory you own, or a new one in a directory you may write");
    }
    return result;
  }
  if (errno != ENOENT) throw SystemError("cannot use mount point " + result.path);
  if (::mkdir(result.path.c_str(), 0755) != 0)
    throw SystemError("cannot create mount point " + result.path + " (under sudo with your own permissions)");
  result.created = true;
  return result;
}

void make_mount_point_for(const std::string& path, uid_t uid, gid_t gid) {
  AsRoot root;
  if (::mkdir(path.c_str(), 0755) != 0) throw SystemError("cannot create mount point " + path);
  UniqueFd dir = open_file(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (::fchown(dir.get(), uid, gid) != 0) throw SystemError("cannot give the mount point " + path + " to its user");
}

void remove_mount_point(const std::string& path, bool made_by_root) {
  AsRoot root(made_by_root);
  ::rmdir(path.c_str());
}

RunResult fuse_unmount(const std::string& mount_point, bool lazy) {
  std::vector<std::string> argv = {"fusermount3", "-u"};
  if (lazy) argv.push_back("-z");
  argv.push_back(mount_point);
  return run_command_as(acting_for(), argv, std::chrono::seconds(30));
}

}  // namespace alfs
