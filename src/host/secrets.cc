#include "host/secrets.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"
#include "common/os.h"
#include "common/protocol.h"

extern char** environ;

namespace alfs {

std::optional<std::string> given_secret(size_t drive_number, const SecretSources& sources) {
  if (!sources.key_file.empty()) {
    try {
      return read_file(sources.key_file);
    } catch (const Error& e) {
      throw Error(std::string("key file: ") + e.what());
    }
  }
  if (auto own = sources.env("ALFS_PASSPHRASE" + std::to_string(drive_number))) return own;
  return sources.env("ALFS_PASSPHRASE");
}

std::vector<std::string> collect_secrets(const std::vector<std::string>& drives, const SecretSources& sources) {
  std::vector<std::string> secrets;
  secrets.reserve(drives.size());  // an outgrown buffer would keep the bytes of short secrets
  std::optional<std::string> shared_answer;
  for (size_t i = 0; i < drives.size(); ++i) {
    if (auto given = given_secret(i + 1, sources)) {
      secrets.push_back(std::move(*given));
    } else if (sources.one_for_all) {
      // The prompt ends as the Rust tool's does, which scripts wait for (expect): the
      // drive is named on the line before.
      if (!shared_answer) shared_answer = sources.ask("One passphrase for all drives.\nEnter passphrase: ");
      secrets.push_back(*shared_answer);
    } else {
      secrets.push_back(sources.ask("Passphrase for " + drives[i] + ".\nEnter passphrase: "));
    }
  }
  if (shared_answer) protocol::wipe(*shared_answer);
  return secrets;
}

std::string ask_without_echo(const std::string& prompt) {
  int raw = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (raw < 0)
    throw Error("a passphrase is needed and there is no terminal to ask on: set ALFS_PASSPHRASE or pass -k <key-file>");
  UniqueFd tty(raw);
  termios saved{};
  bool restore = ::tcgetattr(tty.get(), &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
  }
  struct Restore {
    int fd;
    bool on;
    termios mode;
    ~Restore() {
      if (on) ::tcsetattr(fd, TCSAFLUSH, &mode);
    }
  } restore_on_exit{tty.get(), restore, saved};
  write_all(tty.get(), prompt);
  std::string answer;
  answer.reserve(4096);  // a terminal's longest line: no outgrown buffer keeps a part of it
  char c;
  for (;;) {
    ssize_t n = ::read(tty.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    answer += c;
  }
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer;
}

void scrub_environment(const std::vector<std::string>& names) {
  for (char** e = environ; *e; ++e) {
    char* eq = std::strchr(*e, '=');
    if (!eq) continue;
    std::string_view name(*e, static_cast<size_t>(eq - *e));
    // unsetenv() only drops the pointer: the bytes (for the first environment, those
    // /proc/<pid>/environ shows) must be overwritten in place.
    if (std::find(names.begin(), names.end(), name) != names.end()) secure_zero(eq + 1, std::strlen(eq + 1));
  }
  for (const auto& name : names) ::unsetenv(name.c_str());
}

void scrub_secret_environment() {
  std::vector<std::string> names;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "ALFS_PASSPHRASE", 15) != 0) continue;
    if (char* eq = std::strchr(*e, '=')) names.emplace_back(*e, eq);
  }
  scrub_environment(names);
}

SecretSources system_secret_sources(const std::string& key_file, bool one_for_all) {
  SecretSources s;
  s.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  s.ask = ask_without_echo;
  const char* env_key = std::getenv("ALFS_KEY_FILE");
  s.key_file = !key_file.empty() ? key_file : (env_key ? env_key : "");
  s.one_for_all = one_for_all;
  return s;
}

}  // namespace alfs
