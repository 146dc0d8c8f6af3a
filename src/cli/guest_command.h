// The host side of a command running in a guest (`shell -c`, `vm exec`, `vm attach`):
// its output messages (guest/shell.h) copied to our stdout and stderr.
#pragma once

#include <optional>
#include <string>

#include "common/guest_reply.h"

namespace alfs::cli {

// Copies "output" messages to stdout/stderr until "exit"; returns the exit code.
// The command's duration is the user's: the wait ends with its exit or the channel.
// Throws Error: a guest "error", or the channel closing first (`lost` says what ended).
int relay_until_exit(protocol::LineChannel& channel, const std::string& lost);

// Handles one message of a running guest command: prints output; returns the exit
// code on "exit", nothing otherwise. Throws Error on a guest "error", ProtocolError on a
// message that has no place here.
std::optional<int> handle_command_message(const protocol::GuestReply& reply);

}  // namespace alfs::cli
