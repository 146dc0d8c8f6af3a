#include "guest/system.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/protocol.h"

namespace alfs::guest {

namespace fs = std::filesystem;

void agent_log(const std::string& line) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  std::fprintf(stdout, "[%5lld.%06ld] anylinuxfs-agent: %s\n", static_cast<long long>(now.tv_sec), now.tv_nsec / 1000,
               line.c_str());
  std::fflush(stdout);
}

namespace {
void mount_fs(const char* source, const char* target, const char* type, const char* data = nullptr) {
  ::mkdir(target, 0755);
  if (::mount(source, target, type, MS_NOSUID | MS_NODEV, data) != 0 && errno != EBUSY)
    agent_log(std::string("mount ") + type + " on " + target + ": " + std::strerror(errno));
}
}  // namespace

void setup_base_system() {
  mount_fs("proc", "/proc", "proc");
  mount_fs("sysfs", "/sys", "sysfs");
  // The exec server's commands live in a cgroup of their own (guest/exec_server.h).
  mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2");
  if (::mount("dev", "/dev", "devtmpfs", MS_NOSUID, nullptr) != 0 && errno != EBUSY) {
    // Already there when stage 1 moved its /dev over; anything else is worth a line.
  }
  // Pseudo-terminals for `vm attach` (device nodes: no MS_NODEV here).
  ::mkdir("/dev/pts", 0755);
  if (::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620") != 0 && errno != EBUSY)
    agent_log(std::string("mount devpts on /dev/pts: ") + std::strerror(errno));
  mount_fs("tmpfs", "/run", "tmpfs", "mode=0755");
  mount_fs("tmpfs", "/tmp", "tmpfs", "mode=1777");
  // nfs-utils keeps its state (etab, rmtab) here; the root is read-only.
  mount_fs("tmpfs", "/var/lib/nfs", "tmpfs", "mode=0755");
  for (const char* state : {"/var/lib/nfs/etab", "/var/lib/nfs/rmtab", "/var/lib/nfs/xtab"}) {
    int fd = ::open(state, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  ::mkdir("/run/rpcbind", 0755);
  // nfsdcld's pipe to nfsd, and its client database.
  ::mkdir("/run/rpc_pipefs", 0755);
  ::mkdir("/var/lib/nfs/nfsdcld", 0700);
  // LVM tools write metadata backups here; the shell makes volume groups.
  mount_fs("tmpfs", "/etc/lvm/archive", "tmpfs", "mode=0700");
  mount_fs("tmpfs", "/etc/lvm/backup", "tmpfs", "mode=0700");
  ::sethostname("anylinuxfs", 10);
}

UniqueFd open_virtio_port(const std::string& name, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  for (;;) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/sys/class/virtio-ports", ec)) {
      std::FILE* f = std::fopen((entry.path() / "name").c_str(), "re");
      if (!f) continue;
      char line[128] = {};
      bool match = name.size() + 1 < sizeof line && std::fgets(line, sizeof line, f) &&
                   std::string_view(line).substr(0, name.size()) == name &&
                   (line[name.size()] == '\n' || line[name.size()] == '\0');
      std::fclose(f);
      if (!match) continue;
      std::string dev = "/dev/" + entry.path().filename().string();
      int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      if (fd >= 0) return UniqueFd(fd);
    }
    if (deadline.expired()) throw Error("virtio port " + name + " not found");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string kernel_release() {
  utsname u{};
  ::uname(&u);
  return u.release;
}

std::optional<KernelRecord> parse_kmsg_record(std::string_view record) {
  auto semicolon = record.find(';');
  if (semicolon == std::string_view::npos) return std::nullopt;
  KernelRecord r;
  std::string header(record.substr(0, semicolon));
  unsigned prio = 0;
  if (std::sscanf(header.c_str(), "%u,%*u,%llu", &prio, &r.usec) != 2) return std::nullopt;
  r.level = static_cast<int>(prio & 7);  // the facility is in the bits above
  std::string_view text = record.substr(semicolon + 1);
  r.text = std::string(text.substr(0, text.find('\n')));
  return r;
}

KernelLog::KernelLog(Start start) : kmsg_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (kmsg_ && start == Start::kNow) ::lseek(kmsg_.get(), 0, SEEK_END);
}

std::vector<KernelRecord> KernelLog::take() {
  std::vector<KernelRecord> records;
  if (!kmsg_) return records;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(kmsg_.get(), buf, sizeof buf);
    if (n < 0 && errno == EPIPE) continue;  // records were overwritten; carry on with the next
    if (n <= 0) break;
    if (auto r = parse_kmsg_record(std::string_view(buf, static_cast<size_t>(n)))) records.push_back(*r);
  }
  return records;
}

int parse_console_loglevel(std::string_view printk) {
  int level = 0;
  return std::sscanf(std::string(printk).c_str(), "%d", &level) == 1 && level > 0 ? level : 0;
}

void KernelLog::flush_to_console() {
  int console_level = 0;
  try {
    console_level = parse_console_loglevel(read_file("/proc/sys/kernel/printk"));
  } catch (const Error&) {
    // Not readable: copy every record.
  }
  for (const auto& r : take()) {
    if (r.level < console_level) continue;  // the console showed it as it came
    std::fprintf(stdout, "[%5llu.%06llu] %s\n", r.usec / 1000000, r.usec % 1000000, r.text.c_str());
  }
  std::fflush(stdout);
}

std::optional<unsigned long> mount_flags(const std::string& options) {
  // mount(8)'s own names for the flags (libmount's Linux option map), set or cleared.
  static const struct {
    const char* name;
    unsigned long flag;
    bool set;
  } kFlags[] = {
      {"defaults", 0, true},
      {"ro", MS_RDONLY, true},
      {"rw", MS_RDONLY, false},
      {"nosuid", MS_NOSUID, true},
      {"suid", MS_NOSUID, false},
      {"nodev", MS_NODEV, true},
      {"dev", MS_NODEV, false},
      {"noexec", MS_NOEXEC, true},
      {"exec", MS_NOEXEC, false},
      {"sync", MS_SYNCHRONOUS, true},
      {"async", MS_SYNCHRONOUS, false},
      {"dirsync", MS_DIRSYNC, true},
      {"noatime", MS_NOATIME, true},
      {"atime", MS_NOATIME, false},
      {"nodiratime", MS_NODIRATIME, true},
      {"diratime", MS_NODIRATIME, false},
      {"relatime", MS_RELATIME, true},
      {"norelatime", MS_RELATIME, false},
      {"strictatime", MS_STRICTATIME, true},
      {"nostrictatime", MS_STRICTATIME, false},
      {"lazytime", MS_LAZYTIME, true},
      {"nolazytime", MS_LAZYTIME, false},
      {"silent", MS_SILENT, true},
      {"loud", MS_SILENT, false},
  };
  unsigned long flags = 0;
  size_t start = 0;
  while (start <= options.size()) {
    size_t comma = options.find(',', start);
    std::string option = options.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? options.size() + 1 : comma + 1;
    if (option.empty()) continue;
    auto known = std::find_if(std::begin(kFlags), std::end(kFlags), [&](const auto& f) { return option == f.name; });
    if (known == std::end(kFlags)) return std::nullopt;
    flags = known->set ? flags | known->flag : flags & ~known->flag;
  }
  return flags;
}

void reap_orphans() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

void power_off() {
  ::sync();
  ::reboot(RB_POWER_OFF);
  // Not PID 1 (a test run): there is nothing to power off.
  std::_Exit(0);
}

}  // namespace alfs::guest
