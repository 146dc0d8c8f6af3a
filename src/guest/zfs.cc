#include "guest/zfs.h"

#include <sstream>
#include <thread>

namespace alfs::guest {

using namespace std::chrono_literals;
using protocol::GuestError;

namespace {
// The tab-separated fields of each line of `zfs list -H` output.
std::vector<std::vector<std::string>> rows(const std::string& output) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) fields.push_back(cell);
    out.push_back(std::move(fields));
  }
  return out;
}

bool at_or_below(const std::string& path, const std::string& dir) {
  return path == dir || path.rfind(dir == "/" ? dir : dir + "/", 0) == 0;
}
}  // namespace

std::optional<GuestError> ZfsPool::open(const std::vector<std::string>& devices, bool read_only,
                                        const std::string& options, std::string& secret) {
  struct Wipe {
    std::string& s;
    ~Wipe() { protocol::wipe(s); }
  } wipe{secret};
  if (!runner_.run({"test", "-x", "/sbin/zpool"}, 5s).ok())
    return GuestError{"zfs", devices.front() +
                                 " holds a ZFS pool and this guest image has no ZFS: build the ZFS variant "
                                 "once with `anylinuxfs init --with-zfs` (OpenZFS from Debian, a few minutes)"};
  std::string pool = runner_.probe_value(devices.front(), "LABEL");
  if (pool.empty()) return GuestError{"zfs", devices.front() + ": the ZFS label names no pool"};
  // -f: a pool its last system did not export (a crash, another machine) imports anyway;
  // the disk is attached to this VM alone. -N: keys first, then the mounts.
  std::vector<std::string> import = {"zpool", "import", "-f", "-N", "-R", kZfsAltroot};
  if (read_only) import.insert(import.end(), {"-o", "readonly=on"});
  for (const auto& device : devices) import.insert(import.end(), {"-d", device});
  import.push_back(pool);
  if (auto e = run_step(runner_, "zfs", import, 180s)) return e;
  name_ = pool;
  std::optional<GuestError> failed = load_keys(secret);
  if (!failed) failed = mount_all(options);
  if (failed) close();
  return failed;
}

std::optional<GuestError> ZfsPool::load_keys(std::string& secret) {
  std::string list = run_query(
      runner_, {"zfs", "list", "-H", "-o", "name,encryptionroot,keystatus", "-t", "filesystem,volume", "-r", name_});
  for (const auto& row : rows(list)) {
    // One key per encryption root; its children inherit it.
    if (row.size() != 3 || row[0] != row[1] || row[2] != "unavailable") continue;
    if (secret.empty())
      return GuestError{
          "unlock",
          "dataset " + row[0] + " is encrypted: give its passphrase with ALFS_PASSPHRASE or its key file with -k"};
    RunResult loaded;
    try {
      // -L prompt: the key comes on stdin, wherever the dataset's keylocation points.
      loaded = runner_.run_with_input({"zfs", "load-key", "-L", "prompt", row[0]}, 120s, secret);
    } catch (const std::exception& e) {
      return GuestError{"unlock", row[0] + ": " + e.what()};
    }
    if (!loaded.ok()) {
      std::string text = trim(loaded.output);
      return GuestError{"unlock", row[0] + ": " + (text.empty() ? loaded.status.describe() : text)};
    }
  }
  return std::nullopt;
}

std::optional<GuestError> ZfsPool::mount_all(const std::string& options) {
  std::vector<std::string> mount = {"zfs", "mount"};
  if (!options.empty()) mount.insert(mount.end(), {"-o", options});
  mount.push_back("-a");
  if (auto e = run_step(runner_, "mount", mount, 180s)) return e;
  std::string top;
  std::vector<std::string> mounted;
  for (const auto& row : rows(run_query(
           runner_, {"zfs", "list", "-H", "-o", "name,mounted,mountpoint", "-t", "filesystem", "-r", name_}))) {
    if (row.size() != 3 || row[1] != "yes") continue;
    if (row[0] == name_)
      top = row[2];
    else
      mounted.push_back(row[2]);
  }
  // The top dataset is the mount point when everything else mounted lies below it.
  bool below = !top.empty();
  for (const auto& path : mounted) below = below && at_or_below(path, top);
  root_ = below ? top : kZfsAltroot;
  nested_ = mounted;
  if (!below && !top.empty()) nested_.insert(nested_.begin(), top);
  return std::nullopt;
}

bool ZfsPool::close() {
  if (name_.empty()) return true;
  // The kernel may still hold the datasets briefly after nfsd stops: retry a few times.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(250ms);
    if (runner_.run({"zpool", "export", name_}, 120s).ok()) {
      name_.clear();
      return true;
    }
  }
  runner_.log("cannot export ZFS pool " + name_);
  return false;
}

}  // namespace alfs::guest
