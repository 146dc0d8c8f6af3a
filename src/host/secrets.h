// Passphrases and key files for encrypted drives (LUKS, BitLocker). They reach the
// guest only inside the mount request on the control channel: never argv, the
// environment of a child, the kernel command line or a log.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace alfs {

struct SecretSources {
  // Reads an environment variable (ALFS_PASSPHRASE, ALFS_PASSPHRASE1, ...).
  std::function<std::optional<std::string>(const std::string& name)> env;
  // Asks on the terminal without echo; throws Error when there is no terminal.
  std::function<std::string(const std::string& prompt)> ask;
  std::string key_file;      // -k or $ALFS_KEY_FILE: its bytes unlock every drive
  bool one_for_all = false;  // -p 1: one prompt for all drives (-p a: one each)
};

// The secret given for drive N (1-based) without asking: the key file,
// $ALFS_PASSPHRASE<N> or $ALFS_PASSPHRASE; nothing when none is set.
std::optional<std::string> given_secret(size_t drive_number, const SecretSources& sources);

// One secret per encrypted drive, in order. Drive N (1-based) takes, first found:
// the key file, $ALFS_PASSPHRASE<N>, $ALFS_PASSPHRASE, or an answer at the prompt.
std::vector<std::string> collect_secrets(const std::vector<std::string>& drives, const SecretSources& sources);

// The real sources: getenv, /dev/tty with echo off, $ALFS_KEY_FILE unless `key_file`.
SecretSources system_secret_sources(const std::string& key_file, bool one_for_all);

// Overwrites the values of these variables in this process's environment block and
// removes them: the background supervisor and QEMU (forked and spawned from us)
// must not show them in /proc/<pid>/environ.
void scrub_environment(const std::vector<std::string>& names);
// The same for every ALFS_PASSPHRASE*.
void scrub_secret_environment();

// Reads a passphrase from /dev/tty with echo off (restored on every path).
std::string ask_without_echo(const std::string& prompt);

}  // namespace alfs
