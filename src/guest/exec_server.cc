#include "guest/exec_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <utility>

#include "common/deadline.h"
#include "common/fd.h"
#include "common/protocol.h"
#include "guest/shell.h"
#include "guest/system.h"

namespace alfs::guest {

using namespace std::chrono_literals;
using protocol::LineChannel;

namespace {

constexpr const char* kCgroup = "/sys/fs/cgroup/anylinuxfs-exec";

void serve_request(LineChannel& channel, const nlohmann::json& message) {
  std::string type = protocol::message_type(message);
  int code;
  if (type == "exec") {
    auto argv = message.value("argv", std::vector<std::string>());
    if (argv.empty()) {
      channel.send({{"type", "error"}, {"step", "exec"}, {"message", "no command given"}});
      return;
    }
    code = run_streamed(argv, channel);
  } else if (type == "attach") {
    code = run_pty_shell(channel, message.value("term", std::string()), message.value("rows", 24),
                         message.value("cols", 80));
  } else {
    channel.send({{"type", "error"}, {"step", "protocol"}, {"message", "unknown request '" + type + "'"}});
    return;
  }
  channel.send({{"type", "exit"}, {"code", code}});
}

[[noreturn]] void serve_forever(Transport& transport) {
  ::mkdir(kCgroup, 0755);
  if (int fd = ::open((std::string(kCgroup) + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    std::string pid = std::to_string(::getpid());
    (void)!::write(fd, pid.data(), pid.size());
    ::close(fd);
  }
  std::unique_ptr<ExecEndpoint> endpoint;
  try {
    endpoint = transport.exec(5s);
  } catch (const std::exception& e) {
    agent_log(std::string("exec: ") + e.what());
    ::_exit(0);
  }
  for (;;) {
    UniqueFd client;
    try {
      client = endpoint->next_client();
    } catch (const std::exception& e) {
      agent_log(std::string("exec: ") + e.what());
      std::this_thread::sleep_for(200ms);
      continue;
    }
    // A fresh channel per client: nothing half-read from the previous one carries over.
    LineChannel channel(client.get());
    auto r = channel.receive(Deadline(5s));
    if (r.status == LineChannel::Status::kClosed) {
      std::this_thread::sleep_for(200ms);  // no client on a port: it reports a hangup at once
      continue;
    }
    if (r.status != LineChannel::Status::kMessage) continue;
    try {
      serve_request(channel, r.message);
    } catch (const std::exception& e) {
      agent_log(std::string("exec: ") + e.what());
      try {
        channel.send({{"type", "error"}, {"step", "exec"}, {"message", e.what()}});
      } catch (const std::exception&) {
        // The client is gone already.
      }
    }
  }
}

}  // namespace

ExecServer ExecServer::start(Transport& transport) {
  pid_t pid = ::fork();
  if (pid == 0) {
    // PID 1 blocks no signal the server needs; it takes the defaults back.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    serve_forever(transport);
  }
  return ExecServer(pid);
}

ExecServer::ExecServer(ExecServer&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

void ExecServer::stop() {
  if (pid_ <= 0) return;
  // cgroup.kill (Linux 5.14) reaches every process that ever entered the group.
  if (int fd = ::open((std::string(kCgroup) + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    (void)!::write(fd, "1", 1);
    ::close(fd);
  }
  ::kill(pid_, SIGKILL);
  // The kill is asynchronous: the unmount that follows must not meet a dying command.
  Deadline deadline(5s);
  while (!deadline.expired()) {
    bool server_gone = ::waitpid(pid_, nullptr, WNOHANG) != 0;
    std::string events;
    try {
      events = read_file(std::string(kCgroup) + "/cgroup.events");
    } catch (const std::exception&) {
    }
    if (server_gone && events.find("populated 1") == std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
}

}  // namespace alfs::guest
