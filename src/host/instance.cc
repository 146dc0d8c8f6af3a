#include "host/instance.h"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/fd.h"
#include "host/paths.h"

namespace alfs {

namespace fs = std::filesystem;
using nlohmann::json;

std::string InstanceRecord::status_line() const {
  return disk + " on " + mount_point + " (" + (fstype.empty() ? "unknown" : fstype) + ", " +
         (read_only ? "ro" : "rw") + ", vm pid " + std::to_string(vm_pid) + ")";
}

std::string to_json_text(const InstanceRecord& r) {
  json j{{"id", r.id},
         {"disk", r.disk},
         {"disk_path", r.disk_path},
         {"mount_point", r.mount_point},
         {"fstype", r.fstype},
         {"read_only", r.read_only},
         {"state", r.state},
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
                    {"state", r.state},
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
    r.disk_path = j.value("disk_path", "");
    r.mount_point = j.at("mount_point");
    r.fstype = j.value("fstype", "");
    r.read_only = j.value("read_only", false);
    r.state = j.value("state", "");
    r.supervisor_pid = j.value("supervisor_pid", 0);
    r.vm_pid = j.value("vm_pid", 0);
    r.supervisor_start = j.value("supervisor_start", uint64_t{0});
    r.vm_start = j.value("vm_start", uint64_t{0});
    r.nfs_port = j.value("nfs_port", 0);
    r.mountd_port = j.value("mountd_port", 0);
    r.created_mount_point = j.value("created_mount_point", false);
    r.log_file = j.value("log_file", "");
    r.console_log = j.value("console_log", "");
    return r;
  } catch (const json::exception& e) {
    throw Error(std::string("malformed instance record: ") + e.what());
  }
}

namespace {
// The fields of /proc/<pid>/stat after the command name (which may hold spaces and
// parentheses): [0] is the state (field 3), [19] the start time (field 22).
std::optional<std::vector<std::string>> stat_fields(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    return std::nullopt;
  }
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::vector<std::string> fields;
  std::istringstream in(stat.substr(close_paren + 1));
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}
}  // namespace

uint64_t process_start_time(pid_t pid) {
  auto fields = stat_fields(pid);
  if (!fields || fields->size() < 20) return 0;
  return std::strtoull((*fields)[19].c_str(), nullptr, 10);
}

bool process_alive(pid_t pid, uint64_t start) {
  auto fields = stat_fields(pid);
  // A zombie is gone for our purposes (its parent may never reap it).
  if (!fields || fields->size() < 20 || (*fields)[0] == "Z") return false;
  return start == 0 || std::strtoull((*fields)[19].c_str(), nullptr, 10) == start;
}

void InstanceRegistry::save(const InstanceRecord& record) const {
  make_dirs(dir_of(record.id), 0700);
  write_file_atomic(dir_of(record.id) + "/instance.json", to_json_text(record), 0600);
}

void InstanceRegistry::remove(const std::string& id) const {
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
    if (process_alive(record.supervisor_pid, record.supervisor_start)) {
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
    if (r.mount_point == target || r.mount_point == canonical || r.disk == target || r.disk_path == canonical)
      return r;
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

}  // namespace alfs
