// config: the effective defaults and where each comes from, or new [vm] values written
// into the user's file; actions: the custom actions.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fd.h"
#include "host/config.h"
#include "host/config_edit.h"
#include "host/paths.h"

namespace alfs::cli {
namespace {

namespace fs = std::filesystem;

// Replaces `file` keeping its owner and mode; a new one is the invoking user's (root
// writes it under sudo).
void write_config_file(const Paths& paths, const std::string& file, const std::string& text) {
  struct stat st {};
  bool existed = ::stat(file.c_str(), &st) == 0;
  mode_t mode = existed ? st.st_mode & 07777 : 0644;
  write_file_atomic(file, text, mode);
  if (existed) ::chmod(file.c_str(), mode);  // the umask may have narrowed it
  if (::chown(file.c_str(), existed ? st.st_uid : paths.owner_uid, existed ? st.st_gid : paths.owner_gid) != 0 &&
      errno != EPERM)
    throw SystemError("cannot give " + file + " to its user");
}

}  // namespace

int config_command(const ConfigArgs& args) {
  Paths paths = resolve_paths();
  std::vector<std::string> files = default_config_files(paths.home);
  Config before = load_config(files);

  std::vector<std::pair<std::string, std::string>> wanted;  // [vm] key, TOML literal
  if (args.ram_size_mib) wanted.emplace_back("ram_size_mib", std::to_string(*args.ram_size_mib));
  if (args.num_vcpus) wanted.emplace_back("num_vcpus", std::to_string(*args.num_vcpus));
  if (args.log_level) wanted.emplace_back("log_level", toml_string(*args.log_level));
  if (wanted.empty()) {
    std::fputs(describe_config(before).c_str(), stdout);
    return 0;
  }

  // A symlinked file (dotfiles kept elsewhere) is edited where it points.
  std::string file = user_config_file(paths.home);
  std::error_code ec;
  if (fs::is_symlink(file, ec)) file = fs::weakly_canonical(file).string();
  std::optional<std::string> old_text;
  try {
    old_text = read_file(file);
  } catch (const SystemError& e) {
    if (e.code() != ENOENT) throw;
  }
  std::string text = old_text.value_or("");
  for (const auto& [key, value] : wanted) text = set_toml_value(text, file, "vm", key, value);

  make_user_dirs(paths, fs::path(file).parent_path().string());
  write_config_file(paths, file, text);
  Config after;
  try {
    after = load_config(files);
  } catch (const Error& e) {
    if (old_text)
      write_config_file(paths, file, *old_text);
    else
      ::unlink(file.c_str());
    throw Error(std::string(e.what()) + " (" + file + " is left as it was)");
  }

  std::map<std::string, std::string> old_values, new_values;
  for (const auto& [key, value] : config_values(before)) old_values[key] = value;
  for (const auto& [key, value] : config_values(after)) new_values[key] = value;
  for (const auto& [key, value] : wanted) {
    const std::string name = "vm." + key, &was = old_values[name], &now = new_values[name];
    std::printf("%s = %s (%s)\n", name.c_str(), now.c_str(), was == now ? "unchanged" : ("was " + was).c_str());
  }
  std::printf("saved in %s\n", file.c_str());
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
