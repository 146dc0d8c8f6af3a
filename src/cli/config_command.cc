// config: the effective defaults and where each comes from, or new [vm] values written
// into the user's file; actions: the custom actions.
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/say.h"
#include "cli/user_config.h"
#include "common/error.h"
#include "config/config.h"
#include "config/config_edit.h"
#include "config/paths.h"

namespace alfs::cli {

int config_command(const ConfigArgs& args) {
  Paths paths = resolve_paths();
  Config before = load_config(default_config_files(paths.home));

  std::vector<std::pair<std::string, std::string>> wanted;  // [vm] key, TOML literal
  if (args.ram_size_mib) wanted.emplace_back("ram_size_mib", std::to_string(*args.ram_size_mib));
  if (args.num_vcpus) wanted.emplace_back("num_vcpus", std::to_string(*args.num_vcpus));
  if (args.log_level) wanted.emplace_back("log_level", toml_string(*args.log_level));
  if (wanted.empty()) {
    std::fputs(describe_config(before).c_str(), stdout);
    return 0;
  }

  say().step("changing [vm] in " + paths.data_dir + "/config.toml, keeping its other lines");
  ConfigChange change = change_user_config(paths, "vm", wanted);
  std::map<std::string, std::string> old_values, new_values;
  for (const auto& [key, value] : config_values(before)) old_values[key] = value;
  for (const auto& [key, value] : config_values(change.after)) new_values[key] = value;
  for (const auto& [key, value] : wanted) {
    const std::string name = "vm." + key, &was = old_values[name], &now = new_values[name];
    say().done(name + " = " + now + " (" + (was == now ? "unchanged" : "was " + was) + ")");
  }
  say().done("saved in " + change.file);
  return 0;
}

int actions_command() {
  Config config = load_config(default_config_files(resolve_paths().home));
  if (config.custom_actions.empty())
    std::puts("no custom actions (define them in /etc/anylinuxfs.toml or ~/.anylinuxfs/config.toml)");
  for (const auto& [name, action] : config.custom_actions) {
    std::printf("%s%s%s\n", name.c_str(), action.description.empty() ? "" : ": ", action.description.c_str());
  }
  return 0;
}

}  // namespace alfs::cli
