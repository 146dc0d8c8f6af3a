#include "vm/gvproxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/sockets.h"

namespace alfs::vm {

using namespace std::chrono_literals;

namespace {

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// The address without its prefix length: "192.168.127.2/24" -> "192.168.127.2".
std::string host_part(const std::string& address) { return address.substr(0, address.find('/')); }

}  // namespace

std::string find_gvproxy(const char* override_path, const std::string& path_env,
                         const std::vector<std::string>& fallback_dirs) {
  if (override_path != nullptr && *override_path != '\0') {
    if (!is_executable(override_path))
      throw Error(std::string("ALFS_GVPROXY names ") + override_path + ", which is not an executable file");
    return override_path;
  }
  std::vector<std::string> dirs;
  std::istringstream path(path_env);
  for (std::string dir; std::getline(path, dir, ':');)
    if (!dir.empty()) dirs.push_back(dir);
  dirs.insert(dirs.end(), fallback_dirs.begin(), fallback_dirs.end());
  for (const auto& dir : dirs)
    if (is_executable(dir + "/gvproxy")) return dir + "/gvproxy";
  std::string searched;
  for (const auto& dir : fallback_dirs) searched += ", " + dir;
  throw Error("gvproxy not found (searched $PATH" + searched +
              "): the libkrun backend needs it for the NFS forwards; install it (e.g. `brew install podman`), "
              "set ALFS_GVPROXY, or use --backend qemu");
}

std::string find_gvproxy() {
  const char* path = std::getenv("PATH");
  // Homebrew (Apple Silicon, Intel), podman's macOS installer and Homebrew formula, Linux distributions' podman.
  return find_gvproxy(
      std::getenv("ALFS_GVPROXY"), path != nullptr ? path : "",
      {"/opt/homebrew/bin", "/usr/local/bin", "/opt/podman/bin", "/opt/homebrew/opt/podman/libexec/podman",
       "/usr/local/opt/podman/libexec/podman", "/usr/libexec/podman", "/usr/lib/podman"});
}

GvproxySockets gvproxy_sockets_in(const std::string& dir) { return {dir + "/gvproxy.sock", dir + "/gvproxy-api.sock"}; }

std::vector<std::string> gvproxy_command_line(const std::string& binary, const GvproxySockets& sockets) {
  // -ssh-port -1: no forward of its own to the guest's port 22 (127.0.0.1:2222 by default,
  // which a second instance could not bind).
  return {binary, "-listen-vfkit", "unixgram://" + sockets.network, "-listen", "unix://" + sockets.api, "-ssh-port",
          "-1"};
}

std::string expose_request_body(const PortForward& forward, const GuestNetwork& guest) {
  return nlohmann::json{{"local", forward.host_address + ":" + std::to_string(forward.host_port)},
                        {"remote", host_part(guest.address) + ":" + std::to_string(forward.guest_port)},
                        {"protocol", "tcp"}}
      .dump();
}

int http_post_unix(const std::string& socket, const std::string& path, const std::string& json, std::string& body,
                   std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  UniqueFd s = connect_unix(socket);
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: gvproxy\r\nContent-Type: application/json\r\n" +
                        "Content-Length: " + std::to_string(json.size()) + "\r\nConnection: close\r\n\r\n" + json;
  std::string_view rest = request;
  std::string response;
  // Until the server closes the connection (Connection: close) or the deadline.
  for (;;) {
    pollfd pfd{s.get(), static_cast<short>(POLLIN | (rest.empty() ? 0 : POLLOUT)), 0};
    int ready = ::poll(&pfd, 1, deadline.remaining_ms());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0)
      throw Error("no answer from " + socket + " to POST " + path + " within " + std::to_string(timeout.count()) +
                  " ms");
    if (!rest.empty() && (pfd.revents & POLLOUT)) {
      ssize_t n = ::send(s.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) throw SystemError("POST " + path + " to " + socket);
      if (n > 0) rest.remove_prefix(static_cast<size_t>(n));
    }
    if (pfd.revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(s.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0 && errno != EAGAIN && errno != EINTR) throw SystemError("reading the answer of " + socket);
      if (n > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  int status = 0;
  if (std::sscanf(response.c_str(), "HTTP/1.%*d %d", &status) != 1)
    throw Error(socket + " answered POST " + path + " with no HTTP status line");
  size_t header_end = response.find("\r\n\r\n");
  body = header_end == std::string::npos ? "" : response.substr(header_end + 4);
  return status;
}

Gvproxy Gvproxy::start(const std::string& binary, const GvproxySockets& sockets, int log_fd,
                       std::chrono::milliseconds timeout) {
  ::unlink(sockets.network.c_str());
  ::unlink(sockets.api.c_str());
  Gvproxy gvproxy(
      spawn(SpawnOptions{.argv = gvproxy_command_line(binary, sockets), .stdout_fd = log_fd, .stderr_fd = log_fd}),
      sockets);
  Deadline deadline(timeout);
  while (!is_socket(sockets.network) || !is_socket(sockets.api)) {
    if (auto status = gvproxy.process_.poll())
      throw Error("gvproxy exited while starting (" + status->describe() + "; its words are in the log)");
    if (deadline.expired())
      throw Error("gvproxy did not create " + (is_socket(sockets.network) ? sockets.api : sockets.network) +
                  " within " + std::to_string(timeout.count()) + " ms");
    std::this_thread::sleep_for(20ms);
  }
  return gvproxy;
}

void Gvproxy::expose(const std::vector<PortForward>& forwards, const GuestNetwork& guest,
                     std::chrono::milliseconds timeout) {
  for (const auto& forward : forwards) {
    std::string body;
    int status =
        http_post_unix(sockets_.api, "/services/forwarder/expose", expose_request_body(forward, guest), body, timeout);
    if (status != 200) {
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      throw Error("gvproxy refused the forward " + forward.host_address + ":" + std::to_string(forward.host_port) +
                  " -> " + host_part(guest.address) + ":" + std::to_string(forward.guest_port) + " (HTTP " +
                  std::to_string(status) + "): " + body);
    }
  }
}

Gvproxy::~Gvproxy() {
  if (process_.running()) process_.terminate(2s);
  // Killed or not, its sockets would stop the next gvproxy of this instance directory.
  if (!sockets_.network.empty()) ::unlink(sockets_.network.c_str());
  if (!sockets_.api.empty()) ::unlink(sockets_.api.c_str());
}

}  // namespace alfs::vm
