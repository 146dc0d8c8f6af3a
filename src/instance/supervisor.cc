#include "instance/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/log_keeper.h"
#include "common/os.h"
#include "config/paths.h"
#include "host/mount_point.h"
#include "image/boot_initrd.h"
#include "instance/guest_session.h"
#include "instance/guest_template.h"
#include "instance/ports.h"
#include "vm/boot.h"

namespace alfs {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The host log (our stderr), at the instance's level: set before any thread starts.
HostLog host_log;

void log_at(LogLevel level, const std::string& line) { host_log.write(level, line); }
void log(const std::string& line) { log_at(LogLevel::kInfo, line); }

class Supervisor {
 public:
  Supervisor(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, PresentationFactory present, UniqueFd report)
      : plan_(std::move(plan)),
        registry_(plan_.instances_dir, plan_.owner_uid),
        report_(std::move(report)),
        backend_(std::move(backend)),
        present_(std::move(present)) {}

  int run() {
    try {
      boot();
    } catch (const std::exception& e) {
      log_at(LogLevel::kError, std::string("error: ") + e.what());
      // Reported once nothing is left: when `mount` fails, no VM or record remains.
      shut_down_vm();
      cleanup();
      report(kReportError, e.what());
      return 1;
    }
    serve();
    cleanup();
    return clean_ ? 0 : 1;
  }

 private:
  void report(const char* kind, const std::string& text) {
    if (!report_) return;
    // One line per report: a guest tool's multi-line message is folded.
    std::string line;
    for (char c : text) {
      if (c == '\n') {
        while (!line.empty() && line.back() == ' ') line.pop_back();
        line += ' ';
      } else if (c != ' ' || line.empty() || line.back() != ' ') {
        line += c;
      }
    }
    try {
      write_all(report_.get(), kind + line + "\n");
    } catch (const Error&) {
      // The waiting `mount` was interrupted; the instance carries on regardless.
    }
  }

  void progress(const std::string& text) {
    log(text);
    report(kReportProgress, text);
  }

  void boot() {
    auto ports = pick_free_ports(plan_.bind_address, 2);
    plan_.record.nfs_port = ports[0];
    plan_.record.mountd_port = ports[1];
    log_at(LogLevel::kDebug, "NFS forwards on " + plan_.bind_address + ": nfs port " + std::to_string(ports[0]) +
                                 ", mountd port " + std::to_string(ports[1]));
    plan_.record.supervisor_pid = ::getpid();
    plan_.record.supervisor_start = process_start_time(::getpid());
    plan_.vm.control_socket = plan_.instance_dir + "/control.sock";
    plan_.vm.exec_socket = plan_.instance_dir + "/exec.sock";
    console_.emplace(open_file(plan_.record.console_log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600), kLogCapMib,
                     [this] { protocol::wipe_secrets(plan_.request); });
    plan_.vm.console_fd = console_->write_fd();
    plan_.vm.forwards = {{plan_.bind_address, ports[0], protocol::kGuestNfsPort},
                         {plan_.bind_address, ports[1], protocol::kGuestMountdPort}};

    progress("starting the VM (" + backend_->name() + ", " + vm::to_string(plan_.vm.accel) + ")");
    vm_.emplace(start_guest([this](pid_t pid) {
      plan_.record.vm_pid = pid;
      plan_.record.vm_start = process_start_time(pid);
      plan_.record.state = InstanceState::kStarting;
      registry_.save(plan_.record);
    }));
    log("guest is up, kernel " + vm_->kernel());

    progress("mounting " + plan_.record.disk + " in the guest");
    // The host needs the secrets no longer: the message's copy goes once sent, ours now.
    nlohmann::json request = protocol::to_json(plan_.request);
    protocol::wipe_secrets(plan_.request);
    vm_->channel().send_and_wipe(request);
    take_ready(expect_ready());

    progress("presenting the export at " + plan_.record.mount_point);
    if (!fs::exists(plan_.record.mount_point)) {
      make_dirs(plan_.record.mount_point);
      plan_.record.created_mount_point = true;
    }
    nfs::NfsTarget target;
    // Our own client goes where the forwards listen (loopback when they listen everywhere).
    target.host = plan_.bind_address == "0.0.0.0" ? "127.0.0.1" : plan_.bind_address;
    target.nfs_port = plan_.record.nfs_port;
    target.mount_port = plan_.record.mountd_port;
    target.export_path = export_path_;
    target.client_options = plan_.nfs_client_options;
    PresentationOptions options;
    options.mount_point = plan_.record.mount_point;
    options.fsname = "anylinuxfs:" + plan_.record.disk;
    options.read_only = plan_.request.read_only;
    options.allow_other = plan_.allow_other;
    options.kernel_permissions = !plan_.request.squash_to_root;
    presentation_ = present_(target, options, log);

    plan_.record.state = InstanceState::kReady;
    registry_.save(plan_.record);
    log("ready: " + plan_.record.status_line());
    report(kReportReady, plan_.record.mount_point);
    report_.reset();
  }

  void write_initrd() {
    if (plan_.vm.initrd.empty() && !plan_.image_initrd.empty())
      plan_.vm.initrd = write_boot_initrd(plan_.image_initrd, plan_.agent_binary, plan_.instance_dir);
  }

  // Restores the saved guest when there is one (made first when there is none); boots
  // when that cannot be done, saying why.
  vm::BootedVm start_guest(const std::function<void(pid_t)>& on_started) {
    auto describe = [this](const vm::VmSpec& spec) {
      if (std::string command = backend_->describe(spec); !command.empty()) log(backend_->name() + ": " + command);
    };
    if (!plan_.templates_dir.empty() && backend_->snapshots()) {
      GuestTemplates templates(plan_.templates_dir, log_at);
      std::string key;
      std::optional<std::string> dir;
      bool fresh = false;
      try {
        key = GuestTemplates::key(plan_.vm, plan_.image_initrd, plan_.agent_binary);
        dir = templates.find(key);
        if (std::string failed = templates.failure(key); !dir && !failed.empty()) {
          log_at(LogLevel::kDebug, "no saved guest (" + failed + "); booting");
        } else if (!dir) {
          progress("saving a booted guest for instant mounts (once per guest image)");
          write_initrd();
          dir = templates.make(*backend_, plan_.vm, key, plan_.instance_dir, STDERR_FILENO, plan_.record.log_file,
                               describe, on_started);
          fresh = true;
        }
      } catch (const std::exception& e) {
        log_at(LogLevel::kWarn, std::string("no instant mount: ") + e.what() + "; booting instead");
        dir.reset();
      }
      if (dir) {
        try {
          vm::BootedVm vm = GuestTemplates::restore(*backend_, plan_.vm, *dir, plan_.instance_dir, STDERR_FILENO,
                                                    plan_.record.log_file, describe, on_started);
          log("restored the saved guest " + key);
          return vm;
        } catch (const std::exception& e) {
          // A damaged or stale one is made anew by the next mount; one that fails as soon
          // as it is made would only fail again.
          log_at(LogLevel::kWarn, std::string("cannot restore the saved guest ") + key + ": " + e.what() +
                                      "; removed it, booting instead");
          templates.remove(key);
          if (fresh) templates.record_failure(key, e.what());
        }
      }
    }
    write_initrd();
    describe(plan_.vm);
    return vm::BootedVm::boot(*backend_, plan_.vm, STDERR_FILENO, plan_.record.log_file, vm::BootTimeouts{},
                              on_started);
  }

  // Waits for "ready"; a guest "error" becomes the error to report, with the guest's text.
  protocol::Ready expect_ready() {
    try {
      if (auto ready = await_ready(vm_->channel(), plan_.timeouts.mount, log)) return std::move(*ready);
    } catch (const protocol::GuestFailure&) {
      guest_failed_ = true;  // it powers off by itself
      throw;
    } catch (const protocol::ProtocolError&) {
      channel_broken_ = true;
      throw;
    }
    vm_->process().wait_for(2s);
    vm_->check_alive();
    throw Error("the guest closed its control channel while mounting");
  }

  void take_ready(const protocol::Ready& ready) {
    if (plan_.record.fstype.empty()) plan_.record.fstype = ready.fstype;
    export_path_ = ready.export_path;
    if (ready.read_only && !plan_.request.read_only) {
      // The driver fell back to read-only (e.g. ntfs-3g on a hibernated volume).
      plan_.request.read_only = true;
      plan_.record.read_only = true;
    }
    if (!ready.warning.empty()) {
      log_at(LogLevel::kWarn, "guest warning: " + ready.warning);
      report(kReportWarning, ready.warning);
    }
  }

  // The presentation on this thread; a monitor thread watches signals, the guest and QEMU.
  void serve() {
    std::thread monitor([this] { monitor_loop(); });
    int rc = presentation_->run();
    served_ = true;
    log("the mount point was unmounted (presentation returned " + std::to_string(rc) + ")");
    stopping_ = true;
    stop_event_.set();  // the monitor's poll returns now, not at its next timeout
    monitor.join();
    presentation_.reset();
    shut_down_vm();
  }

  // Nothing may escape this thread (that would terminate the process under a live mount):
  // whatever goes wrong ends the instance.
  void monitor_loop() {
    try {
      watch();
    } catch (const std::exception& e) {  // a ProtocolError, mostly: the guest broke the protocol
      log_at(LogLevel::kError, std::string("error: ") + e.what() + "; ending the instance");
      end_serving(/*vm_gone=*/false);
    }
  }

  void watch() {
    SignalEvents signals({SIGTERM, SIGINT, SIGHUP});
    while (!stopping_) {
      pollfd pfds[4] = {{signals.fd(), POLLIN, 0},
                        {vm_->control_fd(), POLLIN, 0},
                        {backend_->failure_fd(), POLLIN, 0},
                        {stop_event_.fd(), POLLIN, 0}};
      int r = ::poll(pfds, 4, 200);
      if (r > 0 && (pfds[0].revents & POLLIN)) {
        log("signal " + std::to_string(signals.take()) + ": unmounting");
        presentation_->request_exit();
      }
      if (r > 0 && (pfds[1].revents & (POLLIN | POLLHUP)) && !take_serving_messages(vm_->channel(), log)) {
        // A guest that panics (panic=-1, -no-reboot) takes QEMU with it at once.
        auto status = vm_->process().wait_for(2s);
        log_at(LogLevel::kError, status
                                     ? "the VM exited unexpectedly (" + status->describe() + "); see `anylinuxfs dmesg`"
                                     : "the guest closed the control channel");
        end_serving(/*vm_gone=*/status.has_value());
        return;
      }
      if (r > 0 && (pfds[2].revents & POLLIN)) {
        // The link also ends when QEMU does; that says more.
        auto status = vm_->process().wait_for(1s);
        log_at(LogLevel::kError, status ? "the VM exited unexpectedly (" + status->describe() + ")"
                                        : "error: the NFS forwards failed or refused what the guest sent (see the "
                                          "line above); ending the instance");
        end_serving(/*vm_gone=*/status.has_value());
        return;
      }
      if (auto status = vm_->process().poll()) {
        log_at(LogLevel::kError, "the VM exited unexpectedly (" + status->describe() + ")");
        end_serving(/*vm_gone=*/true);
        return;
      }
    }
  }

  // The instance cannot go on under a live mount: release the mount point so nothing hangs
  // on it, and end. A guest still running is not talked to again (see shut_down_vm).
  void end_serving(bool vm_gone) {
    clean_ = false;
    if (!vm_gone) channel_broken_ = true;
    presentation_->release_now();
    // A call in flight to the guest holds the serving thread until its NFS timeout; with
    // the mount point released there is nothing left to save, so the instance ends
    // without waiting for it.
    Deadline grace(plan_.timeouts.lost_grace);
    while (!served_ && !grace.expired()) std::this_thread::sleep_for(50ms);
    if (served_) return;
    log_at(LogLevel::kWarn, "the NFS client is still waiting on the guest: ending without it");
    shut_down_vm();
    cleanup();
    std::_Exit(1);
  }

  // Asks the guest to unmount and power off; escalates past the deadlines. A guest that
  // broke the protocol is only hung up on: ours then unmounts and powers off as if told
  // "stop"; one that does not is killed.
  void shut_down_vm() {
    if (!vm_ || !vm_->process().running()) return;
    plan_.record.state = InstanceState::kStopping;
    registry_.save(plan_.record);
    if (channel_broken_) {
      vm_->hang_up();
    } else if (!guest_failed_) {
      ask_to_stop();
    }
    if (vm_->process().wait_for(plan_.timeouts.power_off)) {
      log("the VM powered off");
      return;
    }
    log_at(LogLevel::kWarn, "the VM did not power off within " + std::to_string(plan_.timeouts.power_off.count()) +
                                " s: terminating it");
    clean_ = false;
    vm_->process().terminate(5s);
  }

  void ask_to_stop() {
    try {
      vm_->channel().send({{"type", "stop"}});
      auto stopped = await_stopped(vm_->channel(), Deadline(plan_.timeouts.stop), log);
      if (!stopped) return;
      if (!stopped->warning.empty()) log_at(LogLevel::kWarn, "warning: " + stopped->warning);
      log_at(stopped->clean ? LogLevel::kInfo : LogLevel::kError, stopped->clean
                                                                      ? "the guest unmounted the filesystem cleanly"
                                                                      : "the guest could NOT unmount the filesystem");
      clean_ = clean_ && stopped->clean;
    } catch (const std::exception& e) {
      log_at(LogLevel::kError, std::string("stop: ") + e.what());
      clean_ = false;
      vm_->hang_up();
    }
  }

  void cleanup() {
    if (plan_.record.created_mount_point) remove_mount_point(plan_.record.mount_point, plan_.mount_point_is_roots);
    registry_.remove(plan_.record.id);
    log("instance " + plan_.record.id + " ended");
  }

  SupervisorPlan plan_;
  InstanceRegistry registry_;
  UniqueFd report_;
  // Kept for the VM's life: the libkrun backend owns its gvproxy (destroyed after vm_).
  std::unique_ptr<vm::VmBackend> backend_;
  PresentationFactory present_;
  std::optional<LogKeeper> console_;  // the VM's console log (destroyed after vm_)
  std::optional<vm::BootedVm> vm_;
  std::unique_ptr<nfs::Presentation> presentation_;
  std::atomic<bool> stopping_{false};
  PollEvent stop_event_;                     // set with stopping_
  std::atomic<bool> served_{false};          // presentation_->run() has returned
  std::string export_path_;                  // what the guest exports: the mount, or an action's path
  bool guest_failed_ = false;                // the guest reported a failure and powers off by itself
  std::atomic<bool> channel_broken_{false};  // the guest broke the protocol (or is gone): no more talk
  bool clean_ = true;
};

}  // namespace

int supervise(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, PresentationFactory present,
              UniqueFd report) {
  host_log = HostLog(plan.log_level);
  return Supervisor(std::move(plan), std::move(backend), std::move(present), std::move(report)).run();
}

int run_supervisor(SupervisorPlan plan, std::unique_ptr<vm::VmBackend> backend, PresentationFactory present,
                   UniqueFd report) {
  // Signals are taken by the monitor thread (SignalEvents).
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return supervise(std::move(plan), std::move(backend), std::move(present), std::move(report));
}

}  // namespace alfs
