#include "cli/guest_command.h"

#include <unistd.h>

#include "common/error.h"
#include "common/fd.h"

namespace alfs::cli {

std::optional<int> handle_command_message(const protocol::GuestReply& reply) {
  // The output is the command's, as the user asked for it: passed through unescaped, as ssh does.
  if (auto* output = std::get_if<protocol::Output>(&reply)) {
    write_all(output->to_stderr ? STDERR_FILENO : STDOUT_FILENO, output->data);
    return std::nullopt;
  }
  if (auto* exit = std::get_if<protocol::Exit>(&reply)) return exit->code;
  if (auto* error = std::get_if<protocol::GuestError>(&reply)) throw protocol::GuestFailure(*error);
  throw protocol::unexpected(reply, "during a command");
}

int relay_until_exit(protocol::LineChannel& channel, const std::string& lost) {
  for (;;) {
    auto r = protocol::receive_reply(channel, Deadline(std::chrono::seconds(1)));
    if (r.status == protocol::LineChannel::Status::kTimeout) continue;
    if (r.status == protocol::LineChannel::Status::kClosed) throw Error(lost);
    if (auto code = handle_command_message(r.reply)) return *code;
  }
}

}  // namespace alfs::cli
