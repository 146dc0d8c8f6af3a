// anylinuxfs-agent: PID 1 of the guest. Reports "hello", performs the host's mount
// request, reports "ready" (or the failing step with the tool's own error text),
// and on "stop" or when the host goes away unmounts cleanly and powers off.
#include <unistd.h>

#include <cstdio>

#include "common/protocol.h"
#include "guest/agent.h"
#include "guest/system.h"

using namespace std::chrono_literals;
using alfs::protocol::LineChannel;
using nlohmann::json;

namespace {

void log(const std::string& line) {
  std::fprintf(stdout, "anylinuxfs-agent: %s\n", line.c_str());
  std::fflush(stdout);
}

// Sends without letting a vanished host stop the shutdown.
void send_quietly(LineChannel& channel, const json& message) {
  try {
    channel.send(message);
  } catch (const std::exception& e) {
    log(std::string("cannot send to host: ") + e.what());
  }
}

void serve(LineChannel& channel, alfs::guest::KernelLog& kernel_log) {
  send_quietly(channel, {{"type", "hello"}, {"kernel", alfs::guest::kernel_release()}});
  auto first = channel.receive(alfs::Deadline(120s));
  if (first.status != LineChannel::Status::kMessage) {
    log("no request from the host; powering off");
    return;
  }
  alfs::protocol::MountRequest request;
  try {
    if (alfs::protocol::message_type(first.message) != "mount")
      throw alfs::protocol::ProtocolError("expected a mount request");
    request = alfs::protocol::mount_request_from_json(first.message);
  } catch (const std::exception& e) {
    send_quietly(channel, {{"type", "error"}, {"step", "protocol"}, {"message", e.what()}});
    return;
  }

  alfs::guest::ProcessRunner runner;
  alfs::guest::Agent agent(runner);
  if (auto error = agent.mount(request)) {
    log("step " + error->step + " failed: " + error->message);
    send_quietly(channel, {{"type", "error"}, {"step", error->step}, {"message", error->message}});
    agent.shutdown();
    return;
  }
  send_quietly(channel, {{"type", "ready"},
                         {"fstype", agent.mounted_volume().fstype},
                         {"label", agent.mounted_volume().label}});
  log("ready");
  kernel_log.flush_to_console();

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
  bool clean = agent.shutdown();
  kernel_log.flush_to_console();
  log(clean ? "filesystem unmounted" : "filesystem NOT unmounted cleanly");
  if (!host_gone) send_quietly(channel, {{"type", "stopped"}, {"clean", clean}});
}

}  // namespace

int main() {
  if (::getpid() == 1) alfs::guest::setup_base_system();
  alfs::guest::KernelLog kernel_log;
  try {
    alfs::UniqueFd port = alfs::guest::open_control_port(10s);
    LineChannel channel(port.get());
    serve(channel, kernel_log);
  } catch (const std::exception& e) {
    log(std::string("fatal: ") + e.what());
  }
  kernel_log.flush_to_console();
  alfs::guest::power_off();
}
