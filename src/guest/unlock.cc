#include "guest/unlock.h"

namespace alfs::guest {

using namespace std::chrono_literals;

std::optional<protocol::GuestError> unlock_device(Runner& runner, const std::string& device, const std::string& name,
                                                  std::string& secret, bool read_only) {
  std::vector<std::string> open = {"cryptsetup", "open"};
  // BitLocker volumes need their type named; LUKS is cryptsetup's default.
  RunResult type = runner.run({"blkid", "-o", "value", "-s", "TYPE", device}, 10s);
  if (type.ok() && trim(type.output) == "BitLocker") open.insert(open.end(), {"--type", "bitlk"});
  if (read_only) open.push_back("--readonly");
  open.insert(open.end(), {device, name, "--key-file=-"});
  RunResult unlocked;
  try {
    unlocked = runner.run_with_input(open, 180s, secret);
  } catch (const std::exception& e) {
    protocol::wipe(secret);
    return protocol::GuestError{"unlock", device + ": " + e.what()};
  }
  protocol::wipe(secret);
  if (unlocked.ok()) return std::nullopt;
  std::string text = trim(unlocked.output);
  return protocol::GuestError{"unlock", device + ": " + (text.empty() ? unlocked.status.describe() : text)};
}

}  // namespace alfs::guest
