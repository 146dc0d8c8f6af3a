#include "common/log_level.h"

#include <ctime>

#include "common/error.h"

namespace alfs {

LogLevel parse_log_level(std::string_view name) {
  for (size_t i = 0; i < kLogLevelNames.size(); ++i)
    if (kLogLevelNames[i] == name) return static_cast<LogLevel>(i);
  throw Error("unknown log level '" + std::string(name) + "' (error, warn, info, debug or trace)");
}

std::string_view to_string(LogLevel level) { return kLogLevelNames[static_cast<size_t>(level)]; }

LogLevel with_verbose(LogLevel configured, bool verbose) {
  return verbose && configured < LogLevel::kDebug ? LogLevel::kDebug : configured;
}

int kernel_console_loglevel(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return 3;
    case LogLevel::kWarn:
    case LogLevel::kInfo:
      return 4;
    case LogLevel::kDebug:
      return 7;
    case LogLevel::kTrace:
      return 8;
  }
  return 4;
}

void HostLog::write(LogLevel line_level, const std::string& line) const {
  if (!keeps(line_level)) return;
  std::time_t now = std::time(nullptr);
  std::tm local{};
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", ::localtime_r(&now, &local));
  std::fprintf(out_, "%s %s\n", stamp, line.c_str());
  std::fflush(out_);
}

}  // namespace alfs
