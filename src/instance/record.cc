#include "instance/record.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/fd.h"
#include "config/paths.h"
#include "host/user_files.h"

namespace alfs {

namespace fs = std::filesystem;
using nlohmann::json;

std::string InstanceRecord::status_line() const {
  return disk + " on " + mount_point + " (" + (fstype.empty() ? "unknown" : fstype) + ", " + (read_only ? "ro" : "rw") +
         ", vm pid " + std::to_string(vm_pid) + ")";
}

namespace {
constexpr std::pair<InstanceState, const char*> kStates[] = {
    {InstanceState::kStarting, "starting"}, {InstanceState::kReady, "ready"}, {InstanceState::kStopping, "stopping"}};

InstanceState state_named(const std::string& name) {
  for (const auto& [state, n] : kStates)
    if (name == n) return state;
  throw Error("malformed instance record: unknown state '" + name + "'");
}
}  // namespace

const char* to_string(InstanceState state) {
  for (const auto& [s, name] : kStates)
    if (s == state) return name;
  return "?";
}

std::string to_json_text(const InstanceRecord& r) {
  json j{{"id", r.id},
         {"disk", r.disk},
         {"disk_path", r.disk_path},
         {"mount_point", r.mount_point},
         {"fstype", r.fstype},
         {"read_only", r.read_only},
         {"state", to_string(r.state)},
         {"supervisor_pid", r.supervisor_pid},
         {"vm_pid", r.vm_pid},
         {"supervisor_start", r.supervisor_start},
         {"vm_start", r.vm_start},
         {"nfs_port", r.nfs_port},
         {"mountd_port", r.mountd_port},
         {"created_mount_point", r.created_mount_point},
         {"log_file", r.log_file},
         {"console_log", r.console_log}};
  return j.dump(2) + "\n";
}

std::string status_json(const std::vector<InstanceRecord>& instances) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const InstanceRecord& r : instances) {
    list.push_back({{"disk", r.disk},
                    {"disk_path", r.disk_path},
                    {"mount_point", r.mount_point},
                    {"fstype", r.fstype},
                    {"read_only", r.read_only},
                    {"state", to_string(r.state)},
                    {"supervisor_pid", r.supervisor_pid},
                    {"vm_pid", r.vm_pid},
                    {"nfs_port", r.nfs_port},
                    {"mountd_port", r.mountd_port},
                    {"log_file", r.log_file},
                    {"console_log", r.console_log}});
  }
  return nlohmann::ordered_json{{"instances", list}}.dump(2) + "\n";
}

InstanceRecord instance_from_json_text(const std::string& text) {
  try {
    json j = json::parse(text);
    InstanceRecord r;
    r.id = j.at("id");
    r.disk = j.at("disk");
    r.disk_path = j.at("disk_path");
    r.mount_point = j.at("mount_point");
    r.fstype = j.at("fstype");
    r.read_only = j.at("read_only");
    r.state = state_named(j.at("state"));
    r.supervisor_pid = j.at("supervisor_pid");
    r.vm_pid = j.at("vm_pid");
    r.supervisor_start = j.at("supervisor_start");
    r.vm_start = j.at("vm_start");
    r.nfs_port = j.at("nfs_port");
    r.mountd_port = j.at("mountd_port");
    r.created_mount_point = j.at("created_mount_point");
    r.log_file = j.at("log_file");
    r.console_log = j.at("console_log");
    return r;
  } catch (const json::exception& e) {
    throw Error(std::string("malformed instance record: ") + e.what());
  }
}

namespace {

// What /proc says of a process; nothing when it is gone.
struct ProcessFacts {
  std::string comm;  // the program's name (field 2, which may hold spaces and parentheses)
  std::string state;
  pid_t ppid = 0;
  uint64_t start = 0;  // clock ticks after boot
  uid_t uid = 0;       // real uid
};

std::optional<ProcessFacts> process_facts(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string proc = "/proc/" + std::to_string(pid), stat, status;
  try {
    stat = read_file(proc + "/stat");
    status = read_file(proc + "/status");
  } catch (const Error&) {
    return std::nullopt;
  }
  auto open_paren = stat.find('('), close_paren = stat.rfind(')');
  auto uid_line = status.find("\nUid:");
  if (open_paren == std::string::npos || close_paren == std::string::npos || uid_line == std::string::npos)
    return std::nullopt;
  // After the name: [0] is the state (field 3), [1] the parent (4), [19] the start time (22).
  std::vector<std::string> fields;
  std::istringstream in(stat.substr(close_paren + 1));
  for (std::string field; in >> field;) fields.push_back(field);
  if (fields.size() < 20) return std::nullopt;
  ProcessFacts facts;
  facts.comm = stat.substr(open_paren + 1, close_paren - open_paren - 1);
  facts.state = fields[0];
  facts.ppid = static_cast<pid_t>(std::strtol(fields[1].c_str(), nullptr, 10));
  facts.start = std::strtoull(fields[19].c_str(), nullptr, 10);
  facts.uid = static_cast<uid_t>(std::strtoul(status.c_str() + uid_line + 5, nullptr, 10));
  return facts;
}

// Alive (a zombie is gone for our purposes: its parent may never reap it) and, with a
// start time, still the process that started then.
std::optional<ProcessFacts> live_process(pid_t pid, uint64_t start) {
  auto facts = process_facts(pid);
  if (!facts || facts->state == "Z" || (start != 0 && facts->start != start)) return std::nullopt;
  return facts;
}

// Root's view (/proc/<pid>/exe and environ of a root process are root's to read).
bool runs_this_program_for(pid_t pid, uid_t owner) {
  // Our own (a record names us until the supervisor takes over): the environment may still
  // hold secrets not yet scrubbed (host/secrets.h), which a copy would leave in our memory.
  if (pid == ::getpid()) {
    const char* uid = std::getenv("SUDO_UID");
    return uid && uid == std::to_string(owner);
  }
  AsRoot root;
  std::string proc = "/proc/" + std::to_string(pid);
  struct stat theirs {
  }, ours{};
  if (::stat((proc + "/exe").c_str(), &theirs) != 0 || ::stat("/proc/self/exe", &ours) != 0 ||
      theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino)
    return false;
  std::string environment;
  try {
    environment = read_file(proc + "/environ");
  } catch (const Error&) {
    return false;
  }
  std::string wanted = "SUDO_UID=" + std::to_string(owner);
  for (size_t begin = 0, end; begin < environment.size(); begin = end + 1) {
    end = environment.find('\0', begin);
    if (end == std::string::npos) end = environment.size();
    if (environment.compare(begin, end - begin, wanted) == 0) return true;
  }
  return false;
}

}  // namespace

uint64_t process_start_time(pid_t pid) {
  auto facts = process_facts(pid);
  return facts ? facts->start : 0;
}

std::optional<uid_t> process_uid(pid_t pid) {
  auto facts = process_facts(pid);
  if (!facts) return std::nullopt;
  return facts->uid;
}

bool process_alive(pid_t pid, uint64_t start) { return live_process(pid, start).has_value(); }

bool is_instance_supervisor(pid_t pid, uint64_t start, uid_t owner) {
  if (start == 0) return false;
  auto facts = live_process(pid, start);
  auto self = process_facts(::getpid());
  if (!facts || !self || facts->comm != self->comm) return false;
  if (facts->uid == owner) return true;
  return facts->uid == 0 && runs_this_program_for(pid, owner);
}

bool is_instance_vm(pid_t pid, uint64_t start, pid_t supervisor) {
  auto facts = live_process(pid, start);
  return start != 0 && facts && facts->ppid == supervisor;
}

bool is_instance_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
             std::string_view::npos;
}

void InstanceRegistry::save(const InstanceRecord& record) const {
  if (!is_instance_id(record.id)) throw Error("'" + record.id + "' is not an instance id");
  make_dirs(dir_of(record.id), 0700);
  write_file_atomic(dir_of(record.id) + "/instance.json", to_json_text(record), 0600);
}

void InstanceRegistry::remove(const std::string& id) const {
  if (!is_instance_id(id)) return;
  std::error_code ec;
  fs::remove_all(dir_of(id), ec);
}

std::vector<InstanceRecord> InstanceRegistry::list(std::vector<InstanceRecord>* stale) const {
  std::vector<InstanceRecord> live;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    InstanceRecord record;
    try {
      record = instance_from_json_text(read_file((entry.path() / "instance.json").string()));
    } catch (const Error&) {
      continue;  // being written for the first time, or not ours
    }
    if (record.id != entry.path().filename().string()) continue;
    if (is_instance_supervisor(record.supervisor_pid, record.supervisor_start, owner_)) {
      live.push_back(record);
    } else if (stale) {
      stale->push_back(record);
    }
  }
  std::sort(live.begin(), live.end(),
            [](const InstanceRecord& a, const InstanceRecord& b) { return a.mount_point < b.mount_point; });
  return live;
}

std::optional<InstanceRecord> InstanceRegistry::find(const std::string& target) const {
  std::error_code ec;
  std::string canonical = fs::weakly_canonical(target, ec).string();
  for (const auto& r : list()) {
    if (r.mount_point == target || r.mount_point == canonical || r.disk == target || r.disk_path == canonical) return r;
  }
  return std::nullopt;
}

InstanceRecord InstanceRegistry::choose(const std::string& target) const {
  if (!target.empty()) {
    if (auto found = find(target)) return *found;
    throw Error("no anylinuxfs instance is mounted at or from '" + target + "' (see `anylinuxfs status`)");
  }
  auto running = list();
  if (running.empty()) throw Error("no anylinuxfs instance is running");
  if (running.size() == 1) return running.front();
  std::string names;
  for (const auto& r : running) names += "\n  " + r.mount_point + " (" + r.disk + ")";
  throw Error(std::to_string(running.size()) + " instances are running; choose one with -t <mount point>:" + names);
}

// Runs that may still write their logs: every instance directory (mounts, and the scratch
// directories of `shell` and `list` VMs) but those of dead supervisors.
std::set<std::string> running_runs(const Paths& paths) {
  std::vector<InstanceRecord> stale;
  InstanceRegistry(paths).list(&stale);
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(paths.instances_dir, ec)) ids.insert(entry.path().filename());
  for (const auto& record : stale) ids.erase(record.id);
  return ids;
}

}  // namespace alfs
