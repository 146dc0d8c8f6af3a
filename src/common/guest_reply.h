// What the guest agent sends the host (the messages common/protocol.h lists), read into
// types. A disk can take over the guest kernel, so every byte from the guest may be an
// attacker's: a message of an unknown type, without a field it needs, or with a field of
// the wrong type or shape is a ProtocolError saying so, never a JSON exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "common/deadline.h"
#include "common/protocol.h"

namespace alfs::protocol {

struct Hello {
  std::string kernel;
};
struct Progress {
  std::string step;
};
struct LogLine {  // a custom action's output, for the instance log
  std::string text;
};
struct Ready {
  std::string export_path;  // absolute, and nothing that would change the libnfs URL it goes into
  std::string fstype;       // empty when the guest did not say; else a name ([A-Za-z0-9._+-], 64 at most)
  std::string label;
  bool read_only = false;  // the driver fell back to read-only
  std::string warning;
};
// "error": GuestError (protocol.h).
struct Stopped {
  bool clean = false;
  std::string warning;
};
struct Output {  // a guest command's output (`shell -c`, `vm exec`)
  bool to_stderr = false;
  std::string data;
};
struct Exit {
  int code = 0;  // 0..255, as a shell reports it
};
struct Inspected {  // `list`: checked where it is applied (disk/guest_listing.h)
  nlohmann::json report;
};

using GuestReply = std::variant<Hello, Progress, LogLine, Ready, GuestError, Stopped, Output, Exit, Inspected>;

// Throws ProtocolError naming the message and what is wrong with it.
GuestReply parse_guest_reply(const nlohmann::json& message);

// The message type, for errors.
const char* type_name(const GuestReply& reply);

// A message that has no place in `phase` ("while mounting"): the error to throw.
ProtocolError unexpected(const GuestReply& reply, const std::string& phase);

// The guest's "error": its failing step and its own text.
class GuestFailure : public Error {
 public:
  explicit GuestFailure(const GuestError& error)
      : Error("the guest failed at step '" + error.step + "': " + error.message) {}
};

// LineChannel::receive, parsed: `reply` is set when status is kMessage.
struct ReceivedReply {
  LineChannel::Status status;
  GuestReply reply;
};
ReceivedReply receive_reply(LineChannel& channel, const Deadline& deadline);

}  // namespace alfs::protocol
