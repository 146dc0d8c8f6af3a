// For the bridge's tests and fuzzer: an NFSv3 and MOUNT server on loopback (both programs
// on one port), in a thread of its own, with libnfs's own XDR coding (its server side
// leaks and leaves arguments unaligned). Its export holds a file "file" and a symlink
// "link" (which REMOVE accepts and keeps); CREATE of any other name makes a file "new"; a test may have the replies to
// one procedure made of bytes of its own (a hostile guest's) or changed before they are sent.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"

struct READ3res;

namespace alfs::nfs {

class FakeNfsServer {
 public:
  FakeNfsServer();
  ~FakeNfsServer();
  FakeNfsServer(const FakeNfsServer&) = delete;
  FakeNfsServer& operator=(const FakeNfsServer&) = delete;

  int port() const { return port_; }
  static constexpr const char* kExport = "/export";

  void set_file(std::string content);
  void set_link_target(std::string target);
  // The names READDIRPLUS lists in the export's root, each with attributes and a handle.
  void set_entries(std::vector<std::string> names);
  // Replies to NFS procedure `proc` (NFS3_READ, ...) with `body` after the RPC header,
  // as it is; nullopt: the server's own reply again.
  void set_raw_reply(int proc, std::optional<std::string> body);
  // Changes each READ reply before it is sent (e.g. a count beyond its data).
  void set_read_tamper(std::function<void(READ3res&)> tamper);
  // As the NFS forwards do (common/rpc_guard.h): a reply they would refuse never reaches
  // the client (a SYSTEM_ERR does, where the forwards reset the stream).
  void set_guarded(bool guarded);

  struct State;  // what the replies are made of (public for the service procedures)

 private:
  void serve();
  UniqueFd listener_;
  UniqueFd stop_;  // eventfd
  int port_ = 0;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace alfs::nfs
