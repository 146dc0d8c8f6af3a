// Changing keys of the user's config file (~/.anylinuxfs/config.toml of the invoking
// user) in place: `config -r/-n/-l` and `pkg add/del` share it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/paths.h"

namespace alfs::cli {

struct ConfigChange {
  std::string file;                     // the file written (a symlink's target)
  std::optional<std::string> old_text;  // nothing: the file did not exist
  Config before, after;                 // the effective configuration around the change
};

// Sets `table`.`key` to each TOML literal, keeping the file's other content and
// comments; the result must load, else the old file is put back and Error thrown.
ConfigChange change_user_config(const Paths& paths, const std::string& table,
                                const std::vector<std::pair<std::string, std::string>>& values);

// Puts the file back as it was before `change`.
void undo_config_change(const ConfigChange& change);

}  // namespace alfs::cli
