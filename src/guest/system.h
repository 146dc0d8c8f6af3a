// The guest's own system duties as PID 1: base filesystems, the control port,
// reaping orphans, powering off.
#pragma once

#include <chrono>
#include <string>

#include "common/fd.h"

namespace alfs::guest {

// proc, sys, dev, and tmpfs where the read-only root needs writable state.
void setup_base_system();

// Opens the virtio-serial port named protocol::kPortName (found under
// /sys/class/virtio-ports/*/name), waiting for its device node up to `timeout`.
UniqueFd open_control_port(std::chrono::milliseconds timeout);

std::string kernel_release();

// Copies the kernel log to the console: the kernel runs `quiet` (the serial console
// is slow under TCG), so the agent writes the records the console did not show,
// from where the previous call stopped, at the moments worth a log (ready, failure,
// shutdown). `anylinuxfs dmesg` shows them.
class KernelLog {
 public:
  KernelLog();
  void flush_to_console();

 private:
  UniqueFd kmsg_;
};

// Reaps exited orphans (PID 1 inherits every daemon's children).
void reap_orphans();

// Syncs and powers the VM off; QEMU exits (-no-reboot).
[[noreturn]] void power_off();

}  // namespace alfs::guest
