// The supervisor's handling of what the guest sends on the control channel
// (src/instance/guest_session.h over src/common/guest_reply.h): a disk can take over the guest
// kernel, and then every byte there is an attacker's. The bytes arrive through a
// socketpair whose guest end then hangs up, and go through the phases of an instance as
// the supervisor would take them: mounting (await_ready), serving (take_serving_messages),
// stopping (await_stopped).
//   Each phase ends with its value, the channel's end, or an alfs::Error (ProtocolError,
//   GuestFailure), never another exception, and never by waiting for its deadline;
//   a "ready" the supervisor accepts has an export that cannot change the NFS URL and an
//   fstype that is a name; every line parse_guest_reply accepts keeps its type.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "common/guest_reply.h"
#include "instance/guest_session.h"

namespace protocol = alfs::protocol;
using namespace std::chrono_literals;

namespace {

constexpr auto kTimeout = 5s;

void parse_line(std::string_view line) {
  nlohmann::json message;
  try {
    message = protocol::decode_line(line);
  } catch (const protocol::ProtocolError&) {
    return;
  }
  try {
    auto reply = protocol::parse_guest_reply(message);
    FUZZ_CHECK(protocol::type_name(reply) == protocol::message_type(message), message.dump());
  } catch (const protocol::ProtocolError&) {
  }
}

void check_ready(const protocol::Ready& ready) {
  const std::string& path = ready.export_path;
  FUZZ_CHECK(path.starts_with('/'), path);
  FUZZ_CHECK(path.find_first_of("?#&%") == std::string::npos, path);
  FUZZ_CHECK(std::none_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }), path);
  FUZZ_CHECK(ready.fstype.size() <= 64 && ready.fstype.find_first_of(" /\n\x1b") == std::string::npos, ready.fstype);
}

// The phases, in order; false once the channel has ended.
void converse(protocol::LineChannel& channel) {
  alfs::LogFn log = [](const std::string&) {};
  auto ready = alfs::await_ready(channel, kTimeout, log);
  if (!ready) return;
  check_ready(*ready);
  for (int i = 0; alfs::take_serving_messages(channel, log); ++i) FUZZ_CHECK(i < 64 * 1024, "serving never ends");
  alfs::await_stopped(channel, alfs::Deadline(kTimeout), log);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (std::string_view rest = bytes; !rest.empty();) {
    size_t nl = std::min(rest.find('\n'), rest.size());
    parse_line(rest.substr(0, nl));
    rest.remove_prefix(std::min(nl + 1, rest.size()));
  }

  FedSocket fed = feed_socket(bytes);
  fed.peer.reset();
  protocol::LineChannel channel(fed.ours.get());
  auto start = std::chrono::steady_clock::now();
  try {
    converse(channel);
  } catch (const alfs::Error&) {
    // The supervisor ends the instance with this error in its log.
  }
  FUZZ_CHECK(std::chrono::steady_clock::now() - start < kTimeout,
             "a phase waited for its deadline with everything sent");
  return 0;
}
