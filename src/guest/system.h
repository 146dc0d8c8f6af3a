// The guest's own system duties as PID 1: base filesystems, the control port,
// reaping orphans, powering off.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"

namespace alfs::guest {

// One line of the agent on the console, stamped like the kernel's own lines (seconds
// since boot) so that `anylinuxfs dmesg` reads as one timeline of where the time goes.
void agent_log(const std::string& line);

// proc, sys, dev, and tmpfs where the read-only root needs writable state.
void setup_base_system();

// Opens the virtio-serial port `name` (found under /sys/class/virtio-ports/*/name),
// waiting for its device node up to `timeout`. Non-blocking: writes to a port whose
// host side is gone would block forever.
UniqueFd open_virtio_port(const std::string& name, std::chrono::milliseconds timeout);

std::string kernel_release();

struct KernelRecord {
  unsigned long long usec = 0;
  int level = 0;  // 0 (emerg) .. 7 (debug)
  std::string text;
};

// One /dev/kmsg record: "<prio>,<seq>,<usec>,<flags>;<text>\n[continuation lines]".
std::optional<KernelRecord> parse_kmsg_record(std::string_view record);

// The console's log level from /proc/sys/kernel/printk ("4\t4\t1\t7": its first field):
// the console shows the records of a lower level. 0 when there is none.
int parse_console_loglevel(std::string_view printk);

// A reader of the kernel log (/dev/kmsg), from the oldest record or from now on.
// The kernel runs `quiet` (the serial console is slow under TCG; [vm] log_level sets how
// quiet), so the agent copies the records the console did not show at the moments worth
// a log (ready, failure, shutdown) for `anylinuxfs dmesg`, and quotes the kernel's own
// words in a failed mount's error.
class KernelLog {
 public:
  enum class Start { kOldest, kNow };
  explicit KernelLog(Start start = Start::kOldest);
  // The records since the previous call.
  std::vector<KernelRecord> take();
  void flush_to_console();

 private:
  UniqueFd kmsg_;
};
// mount(8)-style options ("ro,noatime") as mount(2) flags, when every one of them is a
// flag; nullopt when one is not (a filesystem's own option, or one mount(8) handles
// itself): mount(8) must parse those.
std::optional<unsigned long> mount_flags(const std::string& options);

// Reaps exited orphans (PID 1 inherits every daemon's children).
void reap_orphans();

// Syncs and powers the VM off; QEMU exits (-no-reboot).
[[noreturn]] void power_off();

}  // namespace alfs::guest
