// Commands and shells the host asks for: `anylinuxfs shell` (a VM of its own) and
// `vm exec` / `vm attach` (a running instance, through guest/exec_server.h).
// Output travels as {"type":"output","stream":"stdout"|"stderr","data_hex":...}:
// hex keeps bytes that are not UTF-8 intact.
#pragma once

#include <string>
#include <vector>

#include "common/protocol.h"

namespace alfs::guest {

// Runs `argv` (no shell), streaming its stdout and stderr to the host; returns its
// exit code (128 + signal when killed, 127 when it cannot be run).
int run_streamed(const std::vector<std::string>& argv, protocol::LineChannel& channel);

// An interactive login shell on the virtio console /dev/hvc0, which the host
// connects to its terminal; returns when the shell exits.
int run_interactive_shell(const std::string& term);

// An interactive login shell on a pseudo-terminal whose bytes travel as messages:
// "output" to the host, {"type":"input","data_hex"} and {"type":"resize","rows","cols"}
// from it. Returns the shell's exit code; a vanished host hangs the shell up.
int run_pty_shell(protocol::LineChannel& channel, const std::string& term, int rows, int cols);

}  // namespace alfs::guest
