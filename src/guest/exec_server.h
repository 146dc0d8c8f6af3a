// `vm exec` and `vm attach` of a running instance: a process beside PID 1 that serves
// the transport's exec endpoint (guest/transport.h), one host client at a time.
//   host -> guest {"type":"exec","argv":["ls","-l"]}           run it, no shell
//   host -> guest {"type":"attach","term":"xterm","rows":24,"cols":80}   a login shell on a pty
//   guest -> host {"type":"output",...} (guest/shell.h), then {"type":"exit","code":N}
// Everything it starts lives in the cgroup /sys/fs/cgroup/anylinuxfs-exec, so that
// stop() can end it all before the filesystem is unmounted, sessions and daemons included.
#pragma once

#include <sys/types.h>

#include "guest/transport.h"

namespace alfs::guest {

class ExecServer {
 public:
  // Forks the server. Without an exec endpoint (an older host) it exits at once.
  static ExecServer start(Transport& transport);

  ExecServer(ExecServer&& other) noexcept;
  ExecServer& operator=(ExecServer&&) = delete;
  ~ExecServer() { stop(); }

  // Kills the server and every process it started, then reaps the server.
  void stop();

 private:
  explicit ExecServer(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace alfs::guest
