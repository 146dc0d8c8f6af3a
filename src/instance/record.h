// Running instances: one directory each under ~/.anylinuxfs/instances/<id>/ with
// instance.json (written atomically by the supervisor) and the control socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/paths.h"

namespace alfs {

// Where an instance is in its life: its record is written by `mount` before the VM starts.
enum class InstanceState { kStarting, kReady, kStopping };
const char* to_string(InstanceState state);  // "starting", "ready", "stopping"

struct InstanceRecord {
  std::string id;
  std::string disk;       // the identifier as the user gave it
  std::string disk_path;  // absolute path of the disk or image
  std::string mount_point;
  std::string fstype;
  bool read_only = false;
  InstanceState state = InstanceState::kStarting;
  pid_t supervisor_pid = 0;
  pid_t vm_pid = 0;
  // Their start times (process_start_time): a pid soon names another process once its
  // own has ended (pid_max may be 32768). 0: unknown, the pid alone decides.
  uint64_t supervisor_start = 0;
  uint64_t vm_start = 0;
  int nfs_port = 0;
  int mountd_port = 0;
  bool created_mount_point = false;
  std::string log_file;
  std::string console_log;

  // "<disk> on <mount point> (<fstype>, <ro|rw>, vm pid <N>)"
  std::string status_line() const;
};

std::string to_json_text(const InstanceRecord& record);
// Every key is required: a record is only ever written whole. Throws Error.
InstanceRecord instance_from_json_text(const std::string& text);

// `status --json` (docs/status-json.md): {"instances": [...]}, keys in the documented order.
std::string status_json(const std::vector<InstanceRecord>& instances);

// An instance id: the pid of its `mount` ("1234") or "<tool>-<pid>" for `shell` and `list`
// VMs. Only such a name becomes a path: a record is the user's data.
bool is_instance_id(std::string_view id);

// The records in a directory of `owner`'s (~/.anylinuxfs/instances), which they may have
// written themselves: nothing in one is trusted that is not checked against the system.
class InstanceRegistry {
 public:
  InstanceRegistry(std::string dir, uid_t owner) : dir_(std::move(dir)), owner_(owner) {}
  explicit InstanceRegistry(const Paths& paths) : InstanceRegistry(paths.instances_dir, paths.owner_uid) {}

  std::string dir_of(const std::string& id) const { return dir_ + "/" + id; }
  void save(const InstanceRecord& record) const;  // throws Error for an id that is not one
  void remove(const std::string& id) const;       // an id that is not one names nothing

  // Instances whose supervisor is alive (is_instance_supervisor for the owner); records of
  // dead ones are returned in `stale`. A record whose id is not its directory's name is
  // in neither: it is not ours.
  std::vector<InstanceRecord> list(std::vector<InstanceRecord>* stale = nullptr) const;

  // By mount point (as given or canonical) or by disk identifier / disk path.
  std::optional<InstanceRecord> find(const std::string& target) const;

  // The instance a command acts on: `target` when given, else the only one running.
  // Throws Error when there is none, or several and no target (naming them).
  InstanceRecord choose(const std::string& target) const;

 private:
  std::string dir_;
  uid_t owner_;
};

// The runs that may still write their logs (for mark_latest_logs): every instance
// directory (mounts, and the scratch directories of `shell` and `list` VMs) but those of
// dead supervisors.
std::set<std::string> running_runs(const Paths& paths);

// When the process started, in clock ticks after boot (/proc/<pid>/stat); 0 when it is gone.
uint64_t process_start_time(pid_t pid);

// The real uid of process `pid`; nothing when it is gone.
std::optional<uid_t> process_uid(pid_t pid);

// `pid` runs and is not a zombie; with `start`, it is still the process that started then.
bool process_alive(pid_t pid, uint64_t start = 0);

// Whether `pid` is an instance's supervisor that `owner` may have signalled: alive, started
// at `start` (0 names no process), running this program, and run by `owner` or, where root
// presents the mount (kernel NFS client, or no /dev/fuse for the user), by root for them
// (this binary, started by sudo for `owner`: SUDO_UID in its environment).
bool is_instance_supervisor(pid_t pid, uint64_t start, uid_t owner);

// Whether `pid` is the VM of that supervisor: its child, started at `start`.
bool is_instance_vm(pid_t pid, uint64_t start, pid_t supervisor);

}  // namespace alfs
