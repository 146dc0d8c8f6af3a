#include "host/test_sudo.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "host/user_files.h"

namespace alfs::test_sudo {

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "failed: %s\n", what.c_str());
  std::fflush(stderr);
  ::_exit(1);
}

int exit_code_of(const std::function<void()>& body, bool as_sudo) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    try {
      if (as_sudo)
        ::setenv("SUDO_USER", "nobody", 1);
      else
        ::unsetenv("SUDO_USER");
      adopt_invoking_user_files();
      body();
    } catch (const std::exception& e) {
      check(false, std::string("exception: ") + e.what());
    }
    std::fflush(nullptr);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace alfs::test_sudo
