#include "vm/krun.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "common/error.h"
#include "common/fd.h"
#include "common/protocol.h"
#include "vm/kernel_params.h"

namespace alfs::vm {

// The functions used, with the signatures of include/libkrun.h in containers/libkrun
// (main branch, commit 00903dbbdc93; ABI libkrun.so.1).
struct KrunBackend::Api {
  std::shared_ptr<void> handle;
  int32_t (*create_ctx)();
  int32_t (*set_vm_config)(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib);
  int32_t (*set_kernel)(uint32_t ctx_id, const char* kernel_path, uint32_t kernel_format, const char* initramfs,
                        const char* cmdline);
  int32_t (*add_disk2)(uint32_t ctx_id, const char* block_id, const char* disk_path, uint32_t disk_format,
                       bool read_only);
  int32_t (*add_vsock_port2)(uint32_t ctx_id, uint32_t port, const char* c_filepath, bool listen);
  int32_t (*add_net_unixgram)(uint32_t ctx_id, const char* c_path, int fd, uint8_t* const c_mac, uint32_t features,
                              uint32_t flags);
  int32_t (*set_console_output)(uint32_t ctx_id, const char* c_filepath);
  int32_t (*setuid)(uint32_t ctx_id, uid_t uid);
  int32_t (*setgid)(uint32_t ctx_id, gid_t gid);
  int32_t (*start_enter)(uint32_t ctx_id);
};

namespace {

// Values of libkrun.h's macros.
constexpr uint32_t kDiskFormatRaw = 0, kDiskFormatQcow2 = 1;
constexpr uint32_t kKernelFormatRaw = 0, kKernelFormatElf = 1, kKernelFormatPeGz = 2, kKernelFormatImageBz2 = 3,
                   kKernelFormatImageGz = 4, kKernelFormatImageZstd = 5;
constexpr uint32_t kNetFlagVfkit = 1u << 0;
// COMPAT_NET_FEATURES: CSUM, GUEST_CSUM, GUEST_TSO4, GUEST_UFO, HOST_TSO4, HOST_UFO.
constexpr uint32_t kCompatNetFeatures = (1u << 0) | (1u << 1) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 14);

template <typename F>
void resolve(void* handle, const std::string& library, const char* symbol, F& fn) {
  fn = reinterpret_cast<F>(::dlsym(handle, symbol));
  if (fn == nullptr)
    throw Error(library + " has no " + symbol + " (a libkrun too old for anylinuxfs?): update libkrun or use " +
                "--backend qemu");
}

uint32_t disk_format(const DiskAttachment& d) {
  if (d.format == "raw") return kDiskFormatRaw;
  if (d.format == "qcow2") return kDiskFormatQcow2;
  throw Error("libkrun cannot attach " + d.path + ": format " + d.format + " (it takes raw and qcow2)");
}

// libkrun takes paths: a disk root opened for us reaches it as /dev/fd/N. On macOS opening
// that duplicates the descriptor; Linux reopens the file, checking our permissions again.
std::string disk_path(const DiskAttachment& d) {
  if (d.fds.empty()) return d.path;
  for (int fd : d.fds) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_ACCMODE) == (d.read_only ? O_RDONLY : O_RDWR)) return "/dev/fd/" + std::to_string(fd);
  }
  throw Error(std::string("no descriptor of ") + d.path + " open for " + (d.read_only ? "reading" : "writing"));
}

// What exec(2) would do for QEMU: descriptors marked close-on-exec do not reach the VM
// (the report pipe of `mount` among them), but for those it needs.
void close_cloexec_fds(const std::vector<int>& keep) {
  std::vector<int> doomed;
  if (DIR* dir = ::opendir("/dev/fd")) {
    while (dirent* entry = ::readdir(dir)) {
      int fd = std::atoi(entry->d_name);
      if (fd > STDERR_FILENO && fd != ::dirfd(dir) && std::find(keep.begin(), keep.end(), fd) == keep.end()) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0 && (flags & FD_CLOEXEC)) doomed.push_back(fd);
      }
    }
    ::closedir(dir);
  }
  for (int fd : doomed) ::close(fd);
}

uint32_t le32(const std::string& bytes, size_t offset) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return v;
}

}  // namespace

std::string KrunBackend::default_library() {
  const char* path = std::getenv("ALFS_LIBKRUN");
  if (path != nullptr && *path != '\0') return path;
#ifdef __APPLE__
  return "libkrun.dylib";
#else
  return "libkrun.so.1";
#endif
}

Accel KrunBackend::accel() {
#ifdef __APPLE__
  return Accel::kHvf;
#else
  return Accel::kKvm;
#endif
}

KrunBackend::KrunBackend(std::string library) {
  if (library.empty()) library = default_library();
  void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    throw Error(library + " not found: install libkrun or use --backend qemu (" + ::dlerror() + ")");
  auto api = std::make_shared<Api>();
  api->handle.reset(handle, [](void* h) { ::dlclose(h); });
  resolve(handle, library, "krun_create_ctx", api->create_ctx);
  resolve(handle, library, "krun_set_vm_config", api->set_vm_config);
  resolve(handle, library, "krun_set_kernel", api->set_kernel);
  resolve(handle, library, "krun_add_disk2", api->add_disk2);
  resolve(handle, library, "krun_add_vsock_port2", api->add_vsock_port2);
  resolve(handle, library, "krun_add_net_unixgram", api->add_net_unixgram);
  resolve(handle, library, "krun_set_console_output", api->set_console_output);
  resolve(handle, library, "krun_setuid", api->setuid);
  resolve(handle, library, "krun_setgid", api->setgid);
  resolve(handle, library, "krun_start_enter", api->start_enter);
  api_ = std::move(api);
}

std::string KrunBackend::kernel_command_line(const VmSpec& spec) {
  // libkrun's implicit console is the virtio console hvc0; panic=-1 makes a guest panic end the VM.
  return "console=hvc0 " + guest_kernel_parameters(spec.root_label, spec.log_level) + " " +
         boot_params_command_line({ChannelTransport::kVsock, gvproxy_network()});
}

uint32_t KrunBackend::kernel_format(const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  auto read_at = [&](off_t offset, size_t size) {
    std::string bytes(size, '\0');
    ssize_t n = ::pread(fd.get(), bytes.data(), size, offset);
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return bytes;
  };
  std::string head = read_at(0, 0x250);
  if (head.starts_with("\x7f"
                       "ELF"))
    return kKernelFormatElf;
  // arm64 EFI zboot: a PE file holding the gzipped Image.
  if (head.starts_with("MZ") && head.size() >= 8 && head.compare(4, 4, "zimg") == 0) return kKernelFormatPeGz;
  // x86 bzImage: libkrun unpacks the compressed payload, which the setup header locates.
  if (head.size() == 0x250 && head.compare(0x202, 4, "HdrS") == 0) {
    unsigned setup_sectors = static_cast<unsigned char>(head[0x1f1]);
    off_t payload = (setup_sectors == 0 ? 5 : setup_sectors + 1) * 512 + le32(head, 0x248);
    std::string magic = read_at(payload, 4);
    if (magic.starts_with("\x1f\x8b")) return kKernelFormatImageGz;
    if (magic.starts_with("BZh")) return kKernelFormatImageBz2;
    if (magic == "\x28\xb5\x2f\xfd") return kKernelFormatImageZstd;
    throw Error(path + ": libkrun unpacks only gzip, bzip2 and zstd kernels, not this bzImage's compression");
  }
  return kKernelFormatRaw;
}

Process KrunBackend::start(const VmSpec& spec, int log_fd) {
  if (spec.vcpus < 1 || spec.vcpus > 255)
    throw Error("libkrun takes 1 to 255 vCPUs, not " + std::to_string(spec.vcpus));
  // Everything that may fail is prepared here, where it can throw: the child only calls libkrun.
  std::shared_ptr<const Api> api = api_;
  struct Call {
    std::string what;
    std::function<int32_t(uint32_t ctx)> run;
  };
  std::vector<Call> calls;
  uint8_t vcpus = static_cast<uint8_t>(spec.vcpus);
  uint32_t ram = static_cast<uint32_t>(spec.ram_mib);
  calls.push_back({"krun_set_vm_config", [=](uint32_t ctx) { return api->set_vm_config(ctx, vcpus, ram); }});
  uint32_t kformat = kernel_format(spec.kernel);
  std::string cmdline = kernel_command_line(spec);
  calls.push_back({"krun_set_kernel", [=, &spec](uint32_t ctx) {
                     return api->set_kernel(ctx, spec.kernel.c_str(), kformat, spec.initrd.c_str(), cmdline.c_str());
                   }});
  // Data disks first so they are /dev/vda, /dev/vdb, ... in the user's order; the root last.
  std::vector<int> keep_fds;
  for (size_t i = 0; i < spec.disks.size(); ++i) {
    const DiskAttachment& d = spec.disks[i];
    std::string id = "disk" + std::to_string(i), path = disk_path(d);
    uint32_t format = disk_format(d);
    bool ro = d.read_only;
    calls.push_back({"krun_add_disk2 of " + path,
                     [=](uint32_t ctx) { return api->add_disk2(ctx, id.c_str(), path.c_str(), format, ro); }});
    keep_fds.insert(keep_fds.end(), d.fds.begin(), d.fds.end());
  }
  calls.push_back({"krun_add_disk2 of " + spec.rootfs, [=, &spec](uint32_t ctx) {
                     return api->add_disk2(ctx, "root", spec.rootfs.c_str(), kDiskFormatRaw, true);
                   }});
  // The guest connects to the control port; for `vm exec` it listens and libkrun makes the socket.
  calls.push_back({"krun_add_vsock_port2 of " + spec.control_socket, [=, &spec](uint32_t ctx) {
                     return api->add_vsock_port2(ctx, protocol::kControlVsockPort, spec.control_socket.c_str(), false);
                   }});
  if (!spec.exec_socket.empty()) {
    calls.push_back({"krun_add_vsock_port2 of " + spec.exec_socket, [=, &spec](uint32_t ctx) {
                       return api->add_vsock_port2(ctx, protocol::kExecVsockPort, spec.exec_socket.c_str(), true);
                     }});
  }
  // Under sudo libkrun opens the disks as root, then the VM runs as the user who ran sudo.
  bool drop_to_user = spec.user.has_value();
  uid_t uid = drop_to_user ? spec.user->uid : 0;
  gid_t gid = drop_to_user ? spec.user->gid : 0;
  gvproxy_.reset();  // a previous VM's
  if (!spec.forwards.empty()) {
    // libkrun forwards no ports itself (its TSI needs a patched guest kernel): gvproxy, with
    // its sockets beside the control socket, does.
    GvproxySockets sockets = gvproxy_sockets_in(spec.control_socket.substr(0, spec.control_socket.rfind('/')));
    Gvproxy started = Gvproxy::start(find_gvproxy(), sockets, log_fd, std::chrono::seconds(10));
    started.expose(spec.forwards, gvproxy_network(), std::chrono::seconds(10));
    // The VMM sends to gvproxy's socket after it has become the user.
    if (drop_to_user && ::chown(sockets.network.c_str(), uid, gid) != 0)
      throw SystemError("cannot give gvproxy's socket " + sockets.network + " to its user");
    gvproxy_.emplace(std::move(started));
    std::string gvproxy = sockets.network;
    calls.push_back({"krun_add_net_unixgram of " + gvproxy, [=](uint32_t ctx) {
                       uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
                       return api->add_net_unixgram(ctx, gvproxy.c_str(), -1, mac, kCompatNetFeatures, kNetFlagVfkit);
                     }});
  }
  // With the terminal, the console (hvc0) is the terminal, as with QEMU; else it goes to the log.
  if (!spec.terminal) {
    std::string console = "/dev/fd/" + std::to_string(spec.console_fd);  // open in this fork of ours
    calls.push_back({"krun_set_console_output of " + console,
                     [=](uint32_t ctx) { return api->set_console_output(ctx, console.c_str()); }});
  }
  if (drop_to_user) {
    // The VMM connects to the control socket after it has become the user.
    if (::chown(spec.control_socket.c_str(), uid, gid) != 0)
      throw SystemError("cannot give the control socket " + spec.control_socket + " to its user");
    calls.push_back({"krun_setgid", [=](uint32_t ctx) { return api->setgid(ctx, gid); }});
    calls.push_back({"krun_setuid", [=](uint32_t ctx) { return api->setuid(ctx, uid); }});
  }

  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork");
  if (pid > 0) return Process(pid);

  int null_fd = ::open("/dev/null", O_RDWR);
  if (!spec.terminal) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
  }
  ::dup2(log_fd, STDERR_FILENO);
  close_cloexec_fds(keep_fds);
  if (null_fd > STDERR_FILENO) ::close(null_fd);
  auto fail = [](const std::string& what, int32_t rc) {
    std::fprintf(stderr, "libkrun: %s failed: %s\n", what.c_str(), std::strerror(-rc));
    std::fflush(stderr);
    ::_exit(1);
  };
  int32_t ctx = api->create_ctx();
  if (ctx < 0) fail("krun_create_ctx", ctx);
  for (const Call& call : calls)
    if (int32_t rc = call.run(static_cast<uint32_t>(ctx)); rc < 0) fail(call.what, rc);
  // Returns only when the configuration is refused; on success the VM's end exits the process.
  fail("krun_start_enter", api->start_enter(static_cast<uint32_t>(ctx)));
  ::_exit(1);
}

}  // namespace alfs::vm
