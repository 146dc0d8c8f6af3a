#include "cli/user_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/fd.h"
#include "config/config_edit.h"

namespace alfs::cli {

namespace fs = std::filesystem;

namespace {

// Replaces `file` keeping its mode. Under sudo this is the user's own write (their file
// credentials, host/user_files.h), wherever a symlink leads.
void write_config_file(const std::string& file, const std::string& text) {
  struct stat st {};
  bool existed = ::stat(file.c_str(), &st) == 0;
  mode_t mode = existed ? st.st_mode & 07777 : 0644;
  write_file_atomic(file, text, mode);
  if (existed) ::chmod(file.c_str(), mode);  // the umask may have narrowed it
}

}  // namespace

void undo_config_change(const ConfigChange& change) {
  if (change.old_text)
    write_config_file(change.file, *change.old_text);
  else
    ::unlink(change.file.c_str());
}

ConfigChange change_user_config(const Paths& paths, const std::string& table,
                                const std::vector<std::pair<std::string, std::string>>& values) {
  std::vector<std::string> files = default_config_files(paths.home);
  ConfigChange change;
  change.before = load_config(files);
  // A symlinked file (dotfiles kept elsewhere) is edited where it points.
  change.file = user_config_file(paths.home);
  std::error_code ec;
  if (fs::is_symlink(change.file, ec)) change.file = fs::weakly_canonical(change.file).string();
  try {
    change.old_text = read_file(change.file);
  } catch (const SystemError& e) {
    if (e.code() != ENOENT) throw;
  }
  std::string text = change.old_text.value_or("");
  for (const auto& [key, value] : values) text = set_toml_value(text, change.file, table, key, value);

  make_dirs(fs::path(change.file).parent_path().string(), 0700);
  write_config_file(change.file, text);
  try {
    change.after = load_config(files);
  } catch (const Error& e) {
    undo_config_change(change);
    throw Error(std::string(e.what()) + " (" + change.file + " is left as it was)");
  }
  return change;
}

}  // namespace alfs::cli
