#include "guest/stream_relay.h"

#include <cerrno>
#include <cstring>

#include "common/protocol.h"
#include "common/sockets.h"
#include "guest/system.h"

namespace alfs::guest {

namespace {
// A stream's end in the guest: the port on loopback (nfsd, rpc.mountd), connected from
// the address the export squashes root for when the client came from the network.
UniqueFd open_stream(uint16_t port, mux::Client client) {
  UniqueFd s = connect_loopback(port, client == mux::Client::kNetwork ? protocol::kGuestNetworkClientAddress : nullptr);
  if (!s) agent_log("relay: cannot connect to port " + std::to_string(port) + ": " + std::strerror(errno));
  return s;
}
}  // namespace

StreamRelay::StreamRelay(std::chrono::milliseconds timeout)
    : port_(open_virtio_port(protocol::kNetPortName, timeout)), mux_({}, open_stream) {
  thread_ = std::thread([this] {
    try {
      // The port reads as ended while no host holds its socket: wait for the next one.
      while (!mux_.run(port_.get())) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } catch (const std::exception& e) {
      agent_log(std::string("relay: ") + e.what());
    }
  });
}

StreamRelay::~StreamRelay() {
  mux_.stop();
  thread_.join();
}

}  // namespace alfs::guest
