// Root acting for user "nobody" as under `sudo anylinuxfs`, for the host tests: adopting
// the user's file credentials is for the whole process, so each case runs in a child.
#pragma once

#include <functional>
#include <string>

namespace alfs::test_sudo {

// Runs `body` in a child that acts for nobody (SUDO_USER=nobody, adopt_invoking_user_files)
// when `as_sudo`, and returns its exit code: 0 when every check held.
int exit_code_of(const std::function<void()>& body, bool as_sudo = true);

// In such a child: ends it with exit code 1, naming `what`, unless `ok`.
void check(bool ok, const std::string& what);

}  // namespace alfs::test_sudo
