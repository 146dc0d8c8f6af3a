// The control protocol's decoders on any bytes, as either side receives them:
//   decode_line: a JSON object with a "type", or ProtocolError; what it accepts
//     survives encode_line/decode_line unchanged;
//   mount_request_from_json / inspect_request_from_json (the guest's side): a request or
//     ProtocolError; what they accept round-trips through to_json;
//   LineChannel::receive over a socketpair fed the bytes: messages, then kClosed, or
//     ProtocolError, never anything else.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "common/deadline.h"
#include "common/fd.h"
#include "common/protocol.h"

namespace protocol = alfs::protocol;
using nlohmann::json;

namespace {

void requests(const json& message) {
  try {
    protocol::MountRequest request = protocol::mount_request_from_json(message);
    FUZZ_CHECK(protocol::mount_request_from_json(protocol::to_json(request)) == request, message.dump());
  } catch (const protocol::ProtocolError&) {
  }
  try {
    protocol::InspectRequest request = protocol::inspect_request_from_json(message);
    FUZZ_CHECK(protocol::inspect_request_from_json(protocol::to_json(request)) == request, message.dump());
  } catch (const protocol::ProtocolError&) {
  }
}

void decode(std::string_view line) {
  json message;
  try {
    message = protocol::decode_line(line);
  } catch (const protocol::ProtocolError&) {
    return;
  }
  FUZZ_CHECK(message.is_object(), message.dump());
  protocol::message_type(message);
  std::string encoded = protocol::encode_line(message);
  FUZZ_CHECK(encoded.ends_with('\n') && encoded.find('\n') == encoded.size() - 1, encoded);
  FUZZ_CHECK(protocol::decode_line(std::string_view(encoded).substr(0, encoded.size() - 1)) == message, encoded);
  requests(message);
}

// What a LineChannel makes of `bytes` sent by its peer, who then hangs up.
void receive(std::string_view bytes) {
  FedSocket fed = feed_socket(bytes);
  fed.peer.reset();
  protocol::LineChannel channel(fed.ours.get());
  for (int i = 0;; ++i) {
    FUZZ_CHECK(i <= 64 * 1024, "more messages than lines");
    protocol::LineChannel::Received r;
    try {
      r = channel.receive(alfs::Deadline(std::chrono::milliseconds(1000)));
    } catch (const protocol::ProtocolError&) {
      return;  // the supervisor and the agent give up on a peer that sends garbage
    }
    FUZZ_CHECK(r.status != protocol::LineChannel::Status::kTimeout, "a timeout with everything sent");
    if (r.status == protocol::LineChannel::Status::kClosed) return;
    FUZZ_CHECK(r.message.is_object(), r.message.dump());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  decode(bytes);
  // Each line as the channel splits them.
  for (std::string_view rest = bytes; !rest.empty();) {
    size_t nl = std::min(rest.find('\n'), rest.size());
    decode(rest.substr(0, nl));
    rest.remove_prefix(std::min(nl + 1, rest.size()));
  }
  receive(bytes);
  return 0;
}
