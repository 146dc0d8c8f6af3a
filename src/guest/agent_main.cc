// anylinuxfs-agent: PID 1 of the guest. Says "hello", then serves the host's one
// request: "mount" (mount, export, report "ready" or the failing step with the
// tool's own error text; serve `vm exec`; on "stop" or when the host goes away,
// unmount cleanly)
// "shell" (run a command or an interactive shell) or "inspect" (what `list` shows
// of disks attached read-only). Then it powers off.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "common/boot_params.h"
#include "common/fd.h"
#include "common/process.h"
#include "common/protocol.h"
#include "guest/agent.h"
#include "guest/exec_server.h"
#include "guest/inspector.h"
#include "guest/restore.h"
#include "guest/shell.h"
#include "guest/stream_relay.h"
#include "guest/system.h"
#include "guest/transport.h"

using namespace std::chrono_literals;
using alfs::protocol::LineChannel;
using nlohmann::json;

namespace {

void log(const std::string& line) { alfs::guest::agent_log(line); }

// Sends without letting a vanished host stop the shutdown.
void send_quietly(LineChannel& channel, const json& message) {
  try {
    channel.send(message);
  } catch (const std::exception& e) {
    log(std::string("cannot send to host: ") + e.what());
  }
}

// Decodes a request that may carry secrets; the message's copies are wiped either way.
// A malformed one is answered with a "protocol" error.
template <typename Request>
std::optional<Request> decode_request(LineChannel& channel, json& message, Request (*decode)(const json&)) {
  try {
    Request request = decode(message);
    alfs::protocol::wipe_secrets(message);
    return request;
  } catch (const std::exception& e) {
    alfs::protocol::wipe_secrets(message);
    send_quietly(channel, {{"type", "error"}, {"step", "protocol"}, {"message", e.what()}});
    return std::nullopt;
  }
}

void serve_mount(LineChannel& channel, json& message, alfs::guest::KernelLog& kernel_log,
                 const alfs::BootParams& params, alfs::guest::Transport& transport, alfs::guest::Agent& agent) {
  auto decoded = decode_request(channel, message, &alfs::protocol::mount_request_from_json);
  if (!decoded) return;
  alfs::protocol::MountRequest request = std::move(*decoded);

  // Custom action output belongs in the host's instance log.
  agent.set_output_sink([&](const std::string& text) {
    log(text);
    send_quietly(channel, {{"type", "log"}, {"text", text}});
  });
  if (auto error = agent.mount(std::move(request))) {
    log("step " + error->step + " failed: " + error->message);
    send_quietly(channel, {{"type", "error"}, {"step", error->step}, {"message", error->message}});
    agent.shutdown();
    return;
  }
  const auto& volume = agent.mounted_volume();
  send_quietly(channel, {{"type", "ready"},
                         {"fstype", volume.fstype},
                         {"label", volume.label},
                         {"read_only", volume.read_only},
                         {"warning", volume.warning},
                         {"export", agent.export_path()}});
  log("ready");
  kernel_log.flush_to_console();
  auto exec_server = alfs::guest::ExecServer::start(transport);
  // Without a network device (QEMU) the host's NFS client comes through the stream port.
  std::optional<alfs::guest::StreamRelay> relay;
  if (params.network.address.empty()) {
    try {
      relay.emplace(5s);
    } catch (const std::exception& e) {
      log(std::string("relay: ") + e.what());
    }
  }

  bool host_gone = false;
  for (;;) {
    auto r = channel.receive(alfs::Deadline(1s));
    alfs::guest::reap_orphans();
    if (r.status == LineChannel::Status::kTimeout) continue;
    if (r.status == LineChannel::Status::kClosed) {
      log("host closed the control channel; shutting down");
      host_gone = true;
      break;
    }
    if (alfs::protocol::message_type(r.message) == "stop") break;
  }
  exec_server.stop();  // nothing `vm exec` started may keep the filesystem busy
  relay.reset();
  bool clean = agent.shutdown();
  kernel_log.flush_to_console();
  log(clean ? "filesystem unmounted" : "filesystem NOT unmounted cleanly");
  if (!host_gone) send_quietly(channel, {{"type", "stopped"}, {"clean", clean}, {"warning", agent.shutdown_warning()}});
}

void serve_shell(LineChannel& channel, const json& message) {
  // The tools a shell user reaches for need these, and nothing else loads them.
  alfs::run_command({"modprobe", "-a", "-q", "dm_mod", "dm_crypt", "raid1", "loop", "btrfs"}, 30s);
  std::string command = message.value("command", std::string());
  int code = command.empty() ? alfs::guest::run_interactive_shell(message.value("term", std::string()))
                             : alfs::guest::run_streamed({"/bin/sh", "-c", command}, channel);
  ::sync();
  send_quietly(channel, {{"type", "exit"}, {"code", code}});
}

void serve_inspect(LineChannel& channel, json& message) {
  auto request = decode_request(channel, message, &alfs::protocol::inspect_request_from_json);
  if (!request) return;
  alfs::guest::ProcessRunner runner;
  send_quietly(channel, alfs::guest::Inspector(runner).inspect(std::move(*request)));
}

// "prepare" (a template in the making) and "restore" (a template restored) come before
// the request, each answered with "hello" again; an error is reported and ends the guest.
bool renew(LineChannel& channel, const json& message, alfs::guest::Agent& agent) {
  std::string type = alfs::protocol::message_type(message);
  try {
    if (type == "prepare") {
      if (std::string clash = alfs::guest::root_name_clash(alfs::read_file("/proc/self/mounts")); !clash.empty())
        throw alfs::Error(clash);
      if (auto e = agent.prepare({"virtio_scsi", "sd_mod"}, message.value("export_client", std::string()))) {
        send_quietly(channel, {{"type", "error"}, {"step", e->step}, {"message", e->message}});
        return false;
      }
      log("prepared for a restore");
    } else {
      auto request = alfs::protocol::restore_request_from_json(message);
      alfs::guest::renew_clock_and_entropy(request);
      alfs::guest::link_hot_plugged_disks(request.disks, "/sys", "/dev", 10s);
      log("restored, with " + std::to_string(request.disks) + " disk(s)");
    }
  } catch (const std::exception& e) {
    send_quietly(channel, {{"type", "error"}, {"step", type}, {"message", e.what()}});
    return false;
  }
  send_quietly(channel, {{"type", "hello"}, {"kernel", alfs::guest::kernel_release()}});
  return true;
}

void serve(LineChannel& channel, alfs::guest::KernelLog& kernel_log, const alfs::BootParams& params,
           alfs::guest::Transport& transport) {
  alfs::guest::ProcessRunner runner;
  alfs::guest::Agent agent(runner, params.network);
  send_quietly(channel, {{"type", "hello"}, {"kernel", alfs::guest::kernel_release()}});
  std::string type;
  LineChannel::Received first;
  for (;;) {
    first = channel.receive(alfs::Deadline(120s));
    if (first.status != LineChannel::Status::kMessage) {
      log("no request from the host; powering off");
      return;
    }
    type = alfs::protocol::message_type(first.message);
    if (type != "prepare" && type != "restore") break;
    if (!renew(channel, first.message, agent)) {
      agent.shutdown();
      return;
    }
  }
  if (type == "mount") {
    serve_mount(channel, first.message, kernel_log, params, transport, agent);
  } else if (type == "shell") {
    serve_shell(channel, first.message);
  } else if (type == "inspect") {
    serve_inspect(channel, first.message);
  } else {
    send_quietly(channel, {{"type", "error"}, {"step", "protocol"}, {"message", "unknown request '" + type + "'"}});
  }
}

}  // namespace

int main() {
  if (::getpid() == 1) {
    alfs::guest::setup_base_system();
    // The kernel starts init without a PATH.
    ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
  }
  alfs::guest::KernelLog kernel_log;
  try {
    alfs::BootParams params = alfs::parse_boot_params(alfs::read_file("/proc/cmdline"));
    // Debian's kernel has the vsock transport as a module (an error shows at the connect).
    if (params.channel == alfs::ChannelTransport::kVsock)
      alfs::run_command({"modprobe", "-a", "-q", "vmw_vsock_virtio_transport"}, 30s);
    auto transport = alfs::guest::make_transport(params.channel);
    alfs::UniqueFd control = transport->control(10s);
    LineChannel channel(control.get());
    serve(channel, kernel_log, params, *transport);
  } catch (const std::exception& e) {
    log(std::string("fatal: ") + e.what());
  }
  kernel_log.flush_to_console();
  alfs::guest::power_off();
}
