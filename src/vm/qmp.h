// A client of QEMU's machine protocol (QMP): one JSON object per line, over a unix
// socket QEMU connects to at start (its `-chardev socket,path=...` with `-mon
// mode=control`). Used by the instant mount (vm/guest_template.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/deadline.h"
#include "common/fd.h"
#include "common/protocol.h"

namespace alfs::vm {

class Qmp {
 public:
  // Takes a connected socket: reads QEMU's greeting and enters command mode. Throws Error.
  Qmp(UniqueFd socket, const Deadline& deadline);

  // Runs `command` and returns its "return" value; events on the way are skipped.
  // Throws Error with QEMU's own "desc" when it fails, or when the deadline passes.
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments, const Deadline& deadline);
  nlohmann::json execute(const std::string& command, const Deadline& deadline) {
    return execute(command, nlohmann::json::object(), deadline);
  }
  // Hands QEMU `fd` under `name` (QMP getfd, the fd passed with SCM_RIGHTS), e.g. for
  // migrate's "fd:name". Throws Error.
  void give_fd(const std::string& name, int fd, const Deadline& deadline);

 private:
  nlohmann::json await_return(const std::string& command, const Deadline& deadline);
  UniqueFd fd_;
  protocol::LineChannel channel_;
};

}  // namespace alfs::vm
