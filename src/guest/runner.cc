#include "guest/runner.h"

#include <cstdio>

namespace alfs::guest {

RunResult ProcessRunner::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  log("run: " + join_argv(argv));
  RunResult result = run_command(argv, timeout);
  if (!result.ok()) log("  -> " + result.status.describe() + ": " + result.output);
  return result;
}

RunResult ProcessRunner::run_with_input(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                        std::string_view input) {
  log("run: " + join_argv(argv) + " (with input)");
  RunResult result = run_command_with_input(argv, timeout, input);
  if (!result.ok()) log("  -> " + result.status.describe() + ": " + result.output);
  return result;
}

RunResult ProcessRunner::run_script(const std::string& script, const std::vector<std::string>& env,
                                    std::chrono::milliseconds timeout) {
  log("script: " + script);
  return run_command({"/bin/sh", "-c", script}, timeout, env);
}

void ProcessRunner::start_daemon(const std::vector<std::string>& argv) {
  log("start: " + join_argv(argv));
  SpawnOptions opts;
  opts.argv = argv;
  daemons_.push_back(spawn(opts));
}

void ProcessRunner::stop_daemons() {
  while (!daemons_.empty()) {
    daemons_.back().terminate(std::chrono::seconds(2));
    daemons_.pop_back();
  }
}

void ProcessRunner::log(const std::string& line) {
  std::fprintf(stdout, "anylinuxfs-agent: %s\n", line.c_str());
  std::fflush(stdout);
}

std::string ProcessRunner::kernel_messages() {
  std::string out;
  for (const auto& r : kernel_log_.take()) out += "kernel: " + r.text + "\n";
  return out;
}

}  // namespace alfs::guest
