#include "instance/guest_template.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/os.h"
#include "config/paths.h"
#include "image/image_archive.h"
#include "image/sha256.h"
#include "vm/migration_stream.h"
#include "vm/qemu.h"
#include "vm/qmp.h"

namespace alfs {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The save goes to a file as fast as it can be written: QEMU's default bandwidth limit
// (128 MiB/s) is meant for live migrations over a network.
const json kUnlimited = {{"max-bandwidth", int64_t{1} << 40}};

// "size mtime" of a file: a changed kernel, root filesystem or QEMU makes another key.
std::string identity(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  auto time = fs::last_write_time(path, ec);
  if (path.empty() || ec) return "missing " + path;
  // In nanoseconds: libc++'s file clock counts in an __int128, which to_string does not take.
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return std::to_string(size) + " " + std::to_string(ns);
}

// QEMU's monitor connects once QEMU starts; a QEMU that exits first says why.
std::unique_ptr<vm::Qmp> connect_monitor(int listener, vm::BootedVm& vm, const Deadline& deadline) {
  for (;;) {
    pollfd pfd{listener, POLLIN, 0};
    if (::poll(&pfd, 1, 100) > 0) {
      UniqueFd fd(accept_connection(listener));
      if (fd) return std::make_unique<vm::Qmp>(std::move(fd), deadline);
    }
    vm.check_alive();
    if (deadline.expired()) throw Error("QEMU's monitor did not connect in time");
  }
}

// Polls query-status until `done` says so, watching QEMU itself.
std::string await_status(vm::Qmp& qmp, vm::BootedVm& vm, const std::string& command, const char* field,
                         const std::function<bool(const std::string&)>& done, const Deadline& deadline) {
  for (;;) {
    json reply = qmp.execute(command, deadline);
    std::string status = reply.value(field, std::string());
    if (done(status)) {
      if (status == "failed")
        throw Error("QEMU could not save the guest: " + reply.value("error-desc", std::string("no reason given")));
      return status;
    }
    vm.check_alive();
    if (deadline.expired()) throw Error(command + " still says '" + status + "'");
    std::this_thread::sleep_for(10ms);
  }
}

void sync_file(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY | O_CLOEXEC);
  if (::fsync(fd.get()) != 0) throw SystemError("fsync " + path);
}

}  // namespace

// Rewrites the saved guest without its zero pages (vm/migration_stream.h); one this
// reader does not know stays as QEMU wrote it, only slower to restore.
void GuestTemplates::leave_out_zero_pages(const std::string& state) const {
  std::string sparse = state + ".sparse";
  UniqueFd in = open_file(state, O_RDONLY | O_CLOEXEC);
  UniqueFd out = open_file(sparse, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  auto zeros = vm::drop_zero_pages(in.get(), out.get());
  if (!zeros) {
    ::unlink(sparse.c_str());
    if (log_)
      log_(LogLevel::kWarn,
           "the saved guest keeps its zero pages: QEMU wrote it in a form this anylinuxfs does not know");
    return;
  }
  if (::rename(sparse.c_str(), state.c_str()) != 0) throw SystemError("replacing " + state);
  if (log_)
    log_(LogLevel::kInfo, "saved guest: " + std::to_string(zeros->pages - zeros->dropped) + " of " +
                              std::to_string(zeros->pages) + " RAM pages kept, the others are zeros");
}

std::string GuestTemplates::key(const vm::VmSpec& spec, const std::string& image_initrd,
                                const std::string& agent_binary) {
  // What the template is, without what each mount sets anew.
  vm::VmSpec k;
  k.name = "template";
  k.kernel = spec.kernel;
  k.rootfs = spec.rootfs;
  k.initrd = "/initrd";
  k.root_label = spec.root_label;
  k.ram_mib = spec.ram_mib;
  k.vcpus = spec.vcpus;
  k.log_level = spec.log_level;
  k.accel = spec.accel;
  k.control_socket = "/run/control.sock";
  k.exec_socket = "/run/exec.sock";
  k.console_fd = 3;
  k.snapshot = {"/run/qmp.sock", false, -1};
  vm::HostFacts host = vm::read_host_facts();
  host.cpu_khz = 0;  // it varies with the host's clock speed, and a restored guest never calibrates
  Sha256 hash;
  auto add = [&](const std::string& text) { hash.update(text.data(), text.size() + 1); };
  for (const std::string& arg : vm::QemuBackend::command_line(k, host)) add(arg);
  add("initrd " + identity(image_initrd));
  add("agent " + identity(agent_binary));
  add("kernel " + identity(spec.kernel));
  add("rootfs " + identity(spec.rootfs));
  add("qemu " + identity(find_on_path(vm::qemu_binary(host))));
  auto digest = hash.finish();
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return hex;
}

void GuestTemplates::check_dir() const {
  // Restored by a QEMU of ours, a saved guest must be no one else's to change.
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw SystemError(dir_);
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
    throw Error(dir_ + " is not a directory of this user's alone");
}

std::optional<std::string> GuestTemplates::find(const std::string& key) const {
  check_dir();
  std::string dir = dir_ + "/" + key;
  if (fs::is_regular_file(dir + "/state")) return dir;
  return std::nullopt;
}

std::string GuestTemplates::failure(const std::string& key) const {
  std::string path = dir_ + "/" + key + ".failed";
  std::error_code ec;
  auto when = fs::last_write_time(path, ec);
  if (ec || fs::file_time_type::clock::now() - when > 1h) return "";
  std::string why = read_file(path);
  return why.empty() ? "an earlier try failed" : why;
}

void GuestTemplates::record_failure(const std::string& key, const std::string& why) const {
  try {
    write_file_atomic(dir_ + "/" + key + ".failed", why, 0600);
  } catch (const Error&) {
    // Only a saving: the next mount tries again.
  }
}

void GuestTemplates::remove(const std::string& key) const {
  std::error_code ec;
  fs::remove_all(dir_ + "/" + key, ec);
}

std::string GuestTemplates::make(vm::VmBackend& backend, const vm::VmSpec& spec, const std::string& key,
                                 const std::string& work_dir, int log_fd, const std::string& log_file,
                                 const std::function<void(const vm::VmSpec&)>& starting,
                                 const std::function<void(pid_t)>& on_started) {
  check_dir();
  make_dirs(dir_, 0700);
  try {
    return save(backend, spec, key, work_dir, log_fd, log_file, starting, on_started);
  } catch (const std::exception& e) {
    record_failure(key, e.what());
    throw;
  }
}

std::string GuestTemplates::save(vm::VmBackend& backend, vm::VmSpec spec, const std::string& key,
                                 const std::string& work_dir, int log_fd, const std::string& log_file,
                                 const std::function<void(const vm::VmSpec&)>& starting,
                                 const std::function<void(pid_t)>& on_started) {
  std::string partial = dir_ + "/" + key + ".partial-" + std::to_string(::getpid());
  struct Partial {
    std::string path;
    ~Partial() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{partial};
  fs::remove_all(partial);
  make_dirs(partial, 0700);
  std::string sockets = work_dir + "/template";
  make_dirs(sockets, 0700);
  spec.name += "-template";
  spec.disks.clear();
  spec.forwards.clear();
  spec.control_socket = sockets + "/control.sock";
  spec.exec_socket = sockets + "/exec.sock";
  spec.snapshot = {sockets + "/qmp.sock", false, -1};
  UniqueFd listener = vm::listen_unix(spec.snapshot.qmp_socket);
  starting(spec);
  vm::BootedVm vm = vm::BootedVm::boot(backend, spec, log_fd, log_file, vm::BootTimeouts{}, on_started);
  Deadline deadline(120s);
  auto qmp = connect_monitor(listener.get(), vm, deadline);
  // The client the mounts will export to: exported to early, with a default mount's options.
  vm.channel().send({{"type", "prepare"}, {"export_client", backend.guest_network().gateway}});
  vm.await_hello(60s);

  UniqueFd state = open_file(partial + "/state", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  qmp->execute("migrate-set-parameters", kUnlimited, deadline);
  qmp->execute("stop", deadline);
  qmp->give_fd("state", state.get(), deadline);
  qmp->execute("migrate", {{"uri", "fd:state"}}, deadline);
  await_status(
      *qmp, vm, "query-migrate", "status", [](const std::string& s) { return s == "completed" || s == "failed"; },
      deadline);
  // Stopped and saved: nothing of the guest runs again in this QEMU.
  qmp->execute("quit", deadline);
  if (!vm.process().wait_for(5s)) vm.process().terminate(5s);
  state.reset();
  leave_out_zero_pages(partial + "/state");
  sync_file(partial + "/state");
  std::string done = dir_ + "/" + key;
  // Another mount may have made it meanwhile: theirs stays, ours goes.
  if (::rename(partial.c_str(), done.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST)
    throw SystemError("saving the template as " + done);
  evict();
  return done;
}

void GuestTemplates::evict() const {
  // The newest few by their last use (restore touches them): one per image, RAM size and
  // log level a user switches between; each holds the guest's RAM in use (about 90 MB).
  std::vector<std::pair<fs::file_time_type, fs::path>> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    if (entry.is_directory() && entry.path().filename().string().find('.') == std::string::npos)
      dirs.emplace_back(fs::last_write_time(entry.path(), ec), entry.path());
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = kKept; i < dirs.size(); ++i) fs::remove_all(dirs[i].second, ec);
}

vm::BootedVm GuestTemplates::restore(vm::VmBackend& backend, vm::VmSpec spec, const std::string& template_dir,
                                     const std::string& work_dir, int log_fd, const std::string& log_file,
                                     const std::function<void(const vm::VmSpec&)>& starting,
                                     const std::function<void(pid_t)>& on_started) {
  UniqueFd state = open_file(template_dir + "/state", O_RDONLY | O_CLOEXEC);
  std::error_code ec;
  fs::last_write_time(template_dir, fs::file_time_type::clock::now(), ec);  // in use: kept by evict()
  spec.snapshot = {work_dir + "/qmp.sock", true, state.get()};
  UniqueFd listener = vm::listen_unix(spec.snapshot.qmp_socket);
  vm::BootTimeouts timeouts;
  timeouts.hello = 20s;  // a restored guest answers at once; a broken one never does
  starting(spec);
  return vm::BootedVm::boot(backend, spec, log_fd, log_file, timeouts, on_started, [&](vm::BootedVm& vm) {
    Deadline deadline(20s);
    auto qmp = connect_monitor(listener.get(), vm, deadline);
    qmp->execute("migrate-incoming", {{"uri", "fd:" + std::to_string(state.get())}}, deadline);
    await_status(
        *qmp, vm, "query-status", "status", [](const std::string& s) { return s != "inmigrate"; }, deadline);
    qmp->execute("cont", deadline);
    // The disks' fds are in sets 1, 2, ... (vm/qemu.cc); on the SCSI bus at LUN 0, 1, ...
    for (size_t i = 0; i < spec.disks.size(); ++i) {
      const vm::DiskAttachment& d = spec.disks[i];
      std::string node = "user" + std::to_string(i);
      struct stat st {};
      bool block = d.block_device || (d.fds.empty() && ::stat(d.path.c_str(), &st) == 0 && S_ISBLK(st.st_mode));
      json file = {{"driver", block ? "host_device" : "file"},
                   {"filename", d.fds.empty() ? d.path : "/dev/fdset/" + std::to_string(i + 1)}};
      qmp->execute("blockdev-add",
                   {{"node-name", node}, {"driver", d.format}, {"read-only", d.read_only}, {"file", file}}, deadline);
      qmp->execute("device_add",
                   {{"driver", "scsi-hd"},
                    {"id", node + "-disk"},
                    {"bus", "scsi.0"},
                    {"channel", 0},
                    {"scsi-id", 0},
                    {"lun", static_cast<int>(i)},
                    {"drive", node}},
                   deadline);
    }
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    protocol::RestoreRequest renew{static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec, std::string(32, '\0'),
                                   static_cast<int>(spec.disks.size())};
    if (::getentropy(renew.entropy.data(), renew.entropy.size()) != 0) throw SystemError("getentropy");
    vm.channel().send(protocol::to_json(renew));
  });
}

}  // namespace alfs
