#include "vm/boot.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include "common/deadline.h"
#include "common/error.h"
#include "common/guest_reply.h"
#include "common/os.h"

namespace alfs::vm {

using protocol::LineChannel;

UniqueFd listen_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error("control socket path too long: " + path);
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  UniqueFd s = open_socket(AF_UNIX, SOCK_STREAM, 0);
  if (!s) throw SystemError("socket");
  ::unlink(path.c_str());
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw SystemError("cannot bind control socket " + path);
  if (::listen(s.get(), 1) != 0) throw SystemError("listen on " + path);
  return s;
}

namespace {

// A guest that does not come up may be a damaged image: say how to get a fresh one.
constexpr const char* kImageHint = " (if the guest image is damaged, `anylinuxfs init` rebuilds it)";

}  // namespace

std::string qemu_complaint(const std::string& log_text) {
  std::string out;
  size_t pos = 0;
  while (pos < log_text.size()) {
    size_t nl = log_text.find('\n', pos);
    std::string line = log_text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.starts_with("qemu-system") || line.starts_with("qemu: ") || line.starts_with("libkrun: "))
      out += (out.empty() ? "" : "; ") + line;
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

void BootedVm::hang_up() { ::shutdown(control_.get(), SHUT_RDWR); }

void BootedVm::check_alive() {
  if (auto status = process_.poll()) {
    std::string text;
    try {
      text = read_file(log_file_);
    } catch (const Error&) {
    }
    std::string why = qemu_complaint(text);
    // QEMU's own complaint usually says what is wrong; unless it is about the image, no hint.
    bool image = why.empty() || why.find("kernel") != std::string::npos || why.find("initrd") != std::string::npos ||
                 why.find("rootfs") != std::string::npos;
    throw Error("the VM exited while starting (" + status->describe() + ")" + (why.empty() ? "" : ": " + why) +
                (image ? kImageHint : ""));
  }
}

BootedVm BootedVm::boot(VmBackend& backend, const VmSpec& spec, int log_fd, const std::string& log_file,
                        const BootTimeouts& timeouts, const std::function<void(pid_t)>& on_started,
                        const std::function<void(BootedVm&)>& wake) {
  BootedVm vm;
  vm.log_file_ = log_file;
  UniqueFd listener = listen_unix(spec.control_socket);
  vm.process_ = backend.start(spec, log_fd);
  if (on_started) on_started(vm.process_.pid());

  // Over vsock the agent itself connects, once the kernel has booted: that wait is the hello's too.
  auto connect_timeout = backend.guest_connects_control() ? timeouts.connect + timeouts.hello : timeouts.connect;
  Deadline connect_deadline(connect_timeout);
  while (!vm.control_) {
    pollfd pfd{listener.get(), POLLIN, 0};
    if (::poll(&pfd, 1, 200) > 0) vm.control_.reset(accept_connection(listener.get()));
    vm.check_alive();
    if (!vm.control_ && connect_deadline.expired())
      throw Error("the VM did not open its control channel within " + std::to_string(connect_timeout.count()) + " s" +
                  (backend.guest_connects_control() ? std::string(kImageHint) : ""));
  }
  vm.channel_.emplace(vm.control_.get());
  if (wake) wake(vm);
  vm.await_hello(timeouts.hello);
  return vm;
}

void BootedVm::await_hello(std::chrono::seconds timeout) {
  auto r = protocol::receive_reply(*channel_, Deadline(timeout));
  if (r.status == LineChannel::Status::kTimeout)
    throw Error("the guest did not start within " + std::to_string(timeout.count()) +
                " s (see `anylinuxfs dmesg` for its console)" + kImageHint);
  if (r.status == LineChannel::Status::kClosed) {
    process_.wait_for(std::chrono::seconds(2));
    check_alive();
    throw Error(std::string("the guest closed its control channel while starting") + kImageHint);
  }
  if (auto* failure = std::get_if<protocol::GuestError>(&r.reply)) throw protocol::GuestFailure(*failure);
  // The agent says nothing else before its hello.
  auto* hello = std::get_if<protocol::Hello>(&r.reply);
  if (!hello) throw protocol::unexpected(r.reply, "while starting");
  kernel_ = hello->kernel;
}

}  // namespace alfs::vm
