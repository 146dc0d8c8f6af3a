// A stand-in for libkrun.so.1 in the tests: every call is appended, with its arguments,
// as one line to the file $ALFS_FAKE_KRUN_RECORD; the function named by $ALFS_FAKE_KRUN_FAIL
// returns -EINVAL; krun_start_enter ends the process with status 0, as a VM that ran, after
// playing the guest when $ALFS_FAKE_KRUN_HELLO is set: as libkrun relays the agent's
// connection to vsock port 1024, it connects to that port's socket and sends the line.
// A disk path that does not open fails as the real one does, so /dev/fd/N must be inherited.
// Built without krun_add_net_unixgram (FAKE_KRUN_WITHOUT_NET) it is a too-old libkrun.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string control_socket;  // the socket of the port the guest connects to (listen=false)

std::string quoted(const char* s) { return s == nullptr ? "NULL" : "\"" + std::string(s) + "\""; }
const char* boolean(bool b) { return b ? "true" : "false"; }

// Records "<function>(<args>)"; returns -EINVAL when the test asked this function to fail.
int32_t record(const char* function, const char* format, ...) {
  char args[4096];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(args, sizeof args, format, ap);
  va_end(ap);
  std::string line = std::string(function) + "(" + args + ")\n";
  if (const char* path = std::getenv("ALFS_FAKE_KRUN_RECORD")) {
    int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      if (::write(fd, line.data(), line.size()) < 0) std::perror("fake libkrun");
      ::close(fd);
    }
  }
  const char* fail = std::getenv("ALFS_FAKE_KRUN_FAIL");
  return fail != nullptr && std::strcmp(fail, function) == 0 ? -EINVAL : 0;
}

}  // namespace

extern "C" {

int32_t krun_create_ctx() {
  int32_t rc = record("krun_create_ctx", "");
  return rc < 0 ? rc : 7;  // not 0: the tests see the id passed on
}

int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib) {
  return record("krun_set_vm_config", "%u, %u, %u", ctx_id, num_vcpus, ram_mib);
}

int32_t krun_set_kernel(uint32_t ctx_id, const char* kernel_path, uint32_t kernel_format, const char* initramfs,
                        const char* cmdline) {
  return record("krun_set_kernel", "%u, %s, %u, %s, %s", ctx_id, quoted(kernel_path).c_str(), kernel_format,
                quoted(initramfs).c_str(), quoted(cmdline).c_str());
}

int32_t krun_add_disk2(uint32_t ctx_id, const char* block_id, const char* disk_path, uint32_t disk_format,
                       bool read_only) {
  int32_t rc = record("krun_add_disk2", "%u, %s, %s, %u, %s", ctx_id, quoted(block_id).c_str(),
                      quoted(disk_path).c_str(), disk_format, boolean(read_only));
  int fd = ::open(disk_path, read_only ? O_RDONLY : O_RDWR);
  if (fd < 0) return -errno;
  ::close(fd);
  return rc;
}

int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char* c_filepath, bool listen) {
  if (!listen) control_socket = c_filepath;
  return record("krun_add_vsock_port2", "%u, %u, %s, %s", ctx_id, port, quoted(c_filepath).c_str(), boolean(listen));
}

#ifndef FAKE_KRUN_WITHOUT_NET
int32_t krun_add_net_unixgram(uint32_t ctx_id, const char* c_path, int fd, uint8_t* const c_mac, uint32_t features,
                              uint32_t flags) {
  return record("krun_add_net_unixgram", "%u, %s, %d, %02x:%02x:%02x:%02x:%02x:%02x, %u, %u", ctx_id,
                quoted(c_path).c_str(), fd, c_mac[0], c_mac[1], c_mac[2], c_mac[3], c_mac[4], c_mac[5], features,
                flags);
}
#endif

int32_t krun_set_console_output(uint32_t ctx_id, const char* c_filepath) {
  return record("krun_set_console_output", "%u, %s", ctx_id, quoted(c_filepath).c_str());
}

int32_t krun_setuid(uint32_t ctx_id, uid_t uid) { return record("krun_setuid", "%u, %u", ctx_id, uid); }

int32_t krun_setgid(uint32_t ctx_id, gid_t gid) { return record("krun_setgid", "%u, %u", ctx_id, gid); }

int32_t krun_start_enter(uint32_t ctx_id) {
  int32_t rc = record("krun_start_enter", "%u", ctx_id);
  if (rc < 0) return rc;
  if (const char* hello = std::getenv("ALFS_FAKE_KRUN_HELLO")) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", control_socket.c_str());
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(3);
    std::string line = std::string(hello) + "\n";
    if (::write(s, line.data(), line.size()) < 0) ::_exit(4);
    char c;
    while (::read(s, &c, 1) > 0) {
    }  // until the host closes the channel, as the agent would
  }
  ::_exit(0);
}

}  // extern "C"
