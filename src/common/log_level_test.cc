#include "common/log_level.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace alfs {
namespace {

TEST(LogLevel, NamesRoundTrip) {
  for (std::string_view name : kLogLevelNames) EXPECT_EQ(to_string(parse_log_level(name)), name);
  EXPECT_EQ(parse_log_level("info"), LogLevel::kInfo);
  EXPECT_THROW(parse_log_level("verbose"), Error);
  EXPECT_THROW(parse_log_level("INFO"), Error);
  EXPECT_THROW(parse_log_level(""), Error);
}

TEST(LogLevel, VerboseRaisesToDebugOnly) {
  EXPECT_EQ(with_verbose(LogLevel::kError, true), LogLevel::kDebug);
  EXPECT_EQ(with_verbose(LogLevel::kInfo, true), LogLevel::kDebug);
  EXPECT_EQ(with_verbose(LogLevel::kTrace, true), LogLevel::kTrace);
  EXPECT_EQ(with_verbose(LogLevel::kWarn, false), LogLevel::kWarn);
}

TEST(LogLevel, KernelConsoleLevels) {
  // info is the loglevel=4 the guest always had.
  EXPECT_EQ(kernel_console_loglevel(LogLevel::kInfo), 4);
  EXPECT_EQ(kernel_console_loglevel(LogLevel::kError), 3);
  EXPECT_EQ(kernel_console_loglevel(LogLevel::kWarn), 4);
  EXPECT_EQ(kernel_console_loglevel(LogLevel::kDebug), 7);
  EXPECT_EQ(kernel_console_loglevel(LogLevel::kTrace), 8);
}

// What a HostLog of `level` writes of one line per level, without the stamps.
std::vector<std::string> written(LogLevel level) {
  std::FILE* out = std::tmpfile();
  HostLog log(level, out);
  for (std::string_view name : kLogLevelNames) log.write(parse_log_level(name), std::string(name) + " line");
  std::rewind(out);
  std::vector<std::string> lines;
  char buf[256];
  while (std::fgets(buf, sizeof buf, out)) {
    std::string line(buf);
    // "YYYY-MM-DD HH:MM:SS <line>\n"
    EXPECT_EQ(line.size() > 20 ? line[4] : ' ', '-') << line;
    EXPECT_EQ(line.back(), '\n');
    lines.push_back(line.substr(20, line.size() - 21));
  }
  std::fclose(out);
  return lines;
}

TEST(HostLog, WritesTheLinesUpToItsLevel) {
  using V = std::vector<std::string>;
  EXPECT_EQ(written(LogLevel::kError), V({"error line"}));
  EXPECT_EQ(written(LogLevel::kWarn), V({"error line", "warn line"}));
  EXPECT_EQ(written(LogLevel::kInfo), V({"error line", "warn line", "info line"}));
  EXPECT_EQ(written(LogLevel::kDebug), V({"error line", "warn line", "info line", "debug line"}));
  EXPECT_EQ(written(LogLevel::kTrace), V({"error line", "warn line", "info line", "debug line", "trace line"}));
}

TEST(HostLog, DefaultsToInfo) {
  HostLog log;
  EXPECT_EQ(log.level(), LogLevel::kInfo);
  EXPECT_TRUE(log.keeps(LogLevel::kInfo));
  EXPECT_FALSE(log.keeps(LogLevel::kDebug));
}

}  // namespace
}  // namespace alfs
