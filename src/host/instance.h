// Running instances: one directory each under ~/.anylinuxfs/instances/<id>/ with
// instance.json (written atomically by the supervisor) and the control socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace alfs {

struct InstanceRecord {
  std::string id;
  std::string disk;          // the identifier as the user gave it
  std::string disk_path;     // absolute path of the disk or image
  std::string mount_point;
  std::string fstype;
  bool read_only = false;
  std::string state;         // starting, ready, stopping
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
InstanceRecord instance_from_json_text(const std::string& text);  // throws Error

// `status --json` (docs/status-json.md): {"instances": [...]}, keys in the documented order.
std::string status_json(const std::vector<InstanceRecord>& instances);

class InstanceRegistry {
 public:
  explicit InstanceRegistry(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_of(const std::string& id) const { return dir_ + "/" + id; }
  void save(const InstanceRecord& record) const;
  void remove(const std::string& id) const;

  // Instances whose supervisor is alive; records of dead ones are returned in `stale`.
  std::vector<InstanceRecord> list(std::vector<InstanceRecord>* stale = nullptr) const;

  // By mount point (as given or canonical) or by disk identifier / disk path.
  std::optional<InstanceRecord> find(const std::string& target) const;

  // The instance a command acts on: `target` when given, else the only one running.
  // Throws Error when there is none, or several and no target (naming them).
  InstanceRecord choose(const std::string& target) const;

 private:
  std::string dir_;
};

// When the process started, in clock ticks after boot (/proc/<pid>/stat); 0 when it is gone.
uint64_t process_start_time(pid_t pid);

// `pid` runs and is not a zombie; with `start`, it is still the process that started then.
bool process_alive(pid_t pid, uint64_t start = 0);

}  // namespace alfs
