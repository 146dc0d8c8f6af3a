// The guest end of QEMU's forwards (vm/stream_forwards.h): each stream that arrives on
// the port protocol::kNetPortName is connected to its port on the guest's loopback
// (nfsd, rpc.mountd), in a thread of PID 1.
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "common/fd.h"
#include "common/stream_mux.h"

namespace alfs::guest {

class StreamRelay {
 public:
  // Opens the port (throws Error when it does not appear within `timeout`) and starts relaying.
  explicit StreamRelay(std::chrono::milliseconds timeout);
  // Stops relaying: the streams close, so their NFS connections end.
  ~StreamRelay();
  StreamRelay(const StreamRelay&) = delete;
  StreamRelay& operator=(const StreamRelay&) = delete;

 private:
  UniqueFd port_;
  mux::StreamMux mux_;
  std::thread thread_;
};

}  // namespace alfs::guest
