// gvproxy (gvisor-tap-vsock) as the libkrun backend's network: a user-space network for
// the guest (192.168.127.0/24) on a unixgram socket in vfkit's framing, whose HTTP API
// opens the host's NFS forwards into the guest. A child process of ours, killed with
// the object that owns it.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/process.h"
#include "vm/vm_backend.h"

namespace alfs::vm {

// $ALFS_GVPROXY, else `gvproxy` in $PATH, else where macOS packages put it (Homebrew's,
// podman's installer). Throws Error naming the places searched.
std::string find_gvproxy();
// The same search over given places, for the tests.
std::string find_gvproxy(const char* override_path, const std::string& path_env,
                         const std::vector<std::string>& fallback_dirs);

struct GvproxySockets {
  std::string network;  // -listen-vfkit: libkrun's krun_add_net_unixgram
  std::string api;      // -listen: the HTTP API
};
// The two sockets in an instance's directory.
GvproxySockets gvproxy_sockets_in(const std::string& dir);

std::vector<std::string> gvproxy_command_line(const std::string& binary, const GvproxySockets& sockets);

// The body of POST /services/forwarder/expose for one forward into the guest.
std::string expose_request_body(const PortForward& forward, const GuestNetwork& guest);

// One HTTP/1.1 POST over a unix socket; returns the status code, the response body in
// `body`. Throws Error when the socket does not answer within the deadline.
int http_post_unix(const std::string& socket, const std::string& path, const std::string& json, std::string& body,
                   std::chrono::milliseconds timeout);

class Gvproxy {
 public:
  // Spawns `binary` (its output to `log_fd`) and waits up to `timeout` for both sockets;
  // throws Error when it exits first or the deadline passes. Stale sockets of a previous
  // run are removed first (gvproxy refuses to start over them).
  static Gvproxy start(const std::string& binary, const GvproxySockets& sockets, int log_fd,
                       std::chrono::milliseconds timeout);
  // Opens each forward (host address:port -> guest address:port over TCP); throws Error
  // with gvproxy's answer when it refuses one.
  void expose(const std::vector<PortForward>& forwards, const GuestNetwork& guest, std::chrono::milliseconds timeout);

  Gvproxy(Gvproxy&& other) noexcept
      : process_(std::move(other.process_)), sockets_(std::exchange(other.sockets_, {})) {}
  Gvproxy& operator=(Gvproxy&&) = delete;
  // Ends gvproxy (SIGTERM, SIGKILL after a grace period) and removes its sockets.
  ~Gvproxy();
  pid_t pid() const { return process_.pid(); }

 private:
  Gvproxy(Process process, GvproxySockets sockets) : process_(std::move(process)), sockets_(std::move(sockets)) {}
  Process process_;
  GvproxySockets sockets_;
};

}  // namespace alfs::vm
