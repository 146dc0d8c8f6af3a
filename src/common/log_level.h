// [vm] log_level: how much an instance's host log keeps (the supervisor's own lines) and
// what the guest kernel prints on its console as it runs (its `loglevel=`).
#pragma once

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

namespace alfs {

// From the fewest lines to the most; a level keeps the lines of every level before it.
enum class LogLevel { kError, kWarn, kInfo, kDebug, kTrace };

// The names the config and `config -l` take, in the order of LogLevel.
inline constexpr std::array<std::string_view, 5> kLogLevelNames = {"error", "warn", "info", "debug", "trace"};

// Throws alfs::Error for a name not in kLogLevelNames.
LogLevel parse_log_level(std::string_view name);
std::string_view to_string(LogLevel level);

// `mount -v` raises the instance's level to debug (a higher one stays).
LogLevel with_verbose(LogLevel configured, bool verbose);

// The guest kernel's `loglevel=`: its console shows the messages of a priority below it.
// info keeps the 4 of old (errors and worse): the serial console is slow under TCG, and
// the agent copies the whole kernel log to the console once the mount is ready and at
// shutdown all the same (guest/system.h). warn is info's 4 too (a kernel warning is
// seldom news here); error 3 (critical and worse); debug 7 (all but the kernel's debug
// messages), trace 8 (all of them).
int kernel_console_loglevel(LogLevel level);

// The supervisor's log: its stderr is the instance's host log (`anylinuxfs log`). Lines
// are stamped with the local time; one of a level above the log's own is not written.
class HostLog {
 public:
  explicit HostLog(LogLevel level = LogLevel::kInfo, std::FILE* out = stderr) : level_(level), out_(out) {}
  LogLevel level() const { return level_; }
  bool keeps(LogLevel line_level) const { return line_level <= level_; }
  void write(LogLevel line_level, const std::string& line) const;

 private:
  LogLevel level_;
  std::FILE* out_;
};

}  // namespace alfs
