// The supervisor's side of the control channel, apart from the VM: what each message of
// the guest means in each phase of an instance. The guest may be running a hostile disk's
// code: a malformed message, or one that has no place in the phase, is a ProtocolError,
// on which the supervisor ends the instance (instance/supervisor.cc).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/guest_reply.h"

namespace alfs {

using LogFn = std::function<void(const std::string&)>;

// Mounting: the guest's progress and log lines go to `log` until its "ready", which is
// returned; nullopt when the guest closed the channel. Throws protocol::GuestFailure on its
// "error",
// ProtocolError on a malformed or unexpected message, Error at the deadline.
std::optional<protocol::Ready> await_ready(protocol::LineChannel& channel, std::chrono::milliseconds timeout,
                                           const LogFn& log);

// Serving: takes every message the guest has sent (only log lines are expected; they go
// to `log`) without waiting; false once the guest has closed the channel. Throws
// ProtocolError.
bool take_serving_messages(protocol::LineChannel& channel, const LogFn& log);

// Stopping, after "stop": log lines until "stopped", which is returned; nullopt when the
// channel closed first or the deadline passed. Throws ProtocolError.
std::optional<protocol::Stopped> await_stopped(protocol::LineChannel& channel, const Deadline& deadline,
                                               const LogFn& log);

}  // namespace alfs
