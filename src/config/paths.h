// Where things live: the user's data directory, the guest image cache, the
// instances, and the files installed beside the binary.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <set>
#include <string>

#include "common/fd.h"

namespace alfs {

struct Paths {
  // The invoking user: under sudo, the user who ran sudo (the spec keeps their data
  // in their home even when root does the work). Directories we create there are theirs.
  uid_t owner_uid = 0;
  gid_t owner_gid = 0;
  std::string home;        // the invoking user's home
  std::string data_dir;    // ~/.anylinuxfs
  std::string image_root;  // guest image cache: $ALFS_IMAGE_DIR or ~/.anylinuxfs/image
  // $ALFS_IMAGE_DIR is set: the cache is where the administrator put it (sudo passes the
  // variable only when its policy keeps it), and root works in it as root, not as the user.
  bool image_root_is_roots = false;
  // The system-wide cache, root's (`image build --system`): a mount falls back to it
  // when image_root has no image. Empty when $ALFS_IMAGE_DIR names the cache.
  std::string system_image_root;
  std::string instances_dir;  // one directory per running instance
  std::string logs_dir;       // host and console logs of the current and last runs
  std::string agent_binary;   // anylinuxfs-agent, installed to libexec/anylinuxfs/
  std::string share_dir;      // build-guest-image.sh and guest-packages.txt
};

inline constexpr const char* kSystemImageRoot = "/var/cache/anylinuxfs/image";

// From the environment ($HOME, $SUDO_USER, $ALFS_IMAGE_DIR) and /proc/self/exe.
Paths resolve_paths();

// mkdir -p; `mode` applies to the directories it creates. Throws Error naming the path.
void make_dirs(const std::string& path, int mode = 0755);

// The host log and the guest console log of run `id`.
std::string log_file(const Paths& paths, const std::string& id);
std::string console_log_file(const Paths& paths, const std::string& id);
// log_file(paths, id), created or emptied for writing (appending, as the instance's
// processes share it); a symlink there is refused, not followed. Throws SystemError.
UniqueFd open_run_log(const Paths& paths, const std::string& id);
// Points latest.log and latest.console.log (what `log` and `dmesg` show) at run `id`,
// then prunes the logs to the kKeptRuns newest runs, keeping those of the `running` ones
// (instance/record.h: running_runs).
void mark_latest_logs(const Paths& paths, const std::string& id, const std::set<std::string>& running);

inline constexpr size_t kKeptRuns = 10;
// Each of a run's two logs takes at most this (common/log_keeper.h): a guest writes much
// of both, and kKeptRuns of them must not fill the user's disk.
inline constexpr uint64_t kLogCapMib = 16;

// Removes <id>.log and <id>.console.log in `logs_dir` of every run but the `keep` newest
// (by the newer of their mtimes; `current` counts as the newest) and those in `running`.
void prune_logs(const std::string& logs_dir, const std::string& current, const std::set<std::string>& running,
                size_t keep);

}  // namespace alfs
