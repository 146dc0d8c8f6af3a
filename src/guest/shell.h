// `anylinuxfs shell`: a command (or an interactive shell) in a guest with the
// user's disks attached and no NFS, e.g. to make test disks with the guest's tools.
#pragma once

#include <string>

#include "common/protocol.h"

namespace alfs::guest {

// Runs `/bin/sh -c command`, streaming its stdout and stderr to the host as
// "output" messages; returns its exit code (128 + signal when killed).
int run_shell_command(const std::string& command, protocol::LineChannel& channel);

// An interactive login shell on the virtio console /dev/hvc0, which the host
// connects to its terminal; returns when the shell exits.
int run_interactive_shell(const std::string& term);

}  // namespace alfs::guest
