#include "cli/guest_command.h"

#include <unistd.h>

#include "common/error.h"
#include "common/fd.h"

namespace alfs::cli {

std::optional<int> handle_command_message(const nlohmann::json& message) {
  std::string type = protocol::message_type(message);
  if (type == "output") {
    int fd = message.value("stream", std::string()) == "stderr" ? STDERR_FILENO : STDOUT_FILENO;
    write_all(fd, protocol::hex_decode(message.value("data_hex", std::string())));
  } else if (type == "exit") {
    return message.value("code", 1);
  } else if (type == "error") {
    throw Error("the guest failed at step '" + message.value("step", std::string("?")) +
                "': " + message.value("message", std::string()));
  }
  return std::nullopt;
}

int relay_until_exit(protocol::LineChannel& channel, const std::string& lost) {
  for (;;) {
    auto r = channel.receive(Deadline(std::chrono::seconds(1)));
    if (r.status == protocol::LineChannel::Status::kTimeout) continue;
    if (r.status == protocol::LineChannel::Status::kClosed) throw Error(lost);
    if (auto code = handle_command_message(r.message)) return *code;
  }
}

}  // namespace alfs::cli
