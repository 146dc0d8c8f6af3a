#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <functional>

#include "common/error.h"
#include "common/fd.h"
#include "common/ipv4_network.h"
#include "config/toml_parse.h"

namespace alfs {
namespace {

// "<file>:<line>: " where toml++ knows the line, "<file>: " otherwise.
std::string where(const std::string& file, const toml::source_region& source) {
  if (source.begin.line == 0) return file + ": ";
  return file + ":" + std::to_string(source.begin.line) + ": ";
}

bool is_variable_name(std::string_view name) {
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (name.empty() || !letter(name[0])) return false;
  for (char c : name)
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

bool is_assignment(std::string_view text) {
  size_t eq = text.find('=');
  return eq != std::string_view::npos && is_variable_name(text.substr(0, eq));
}

// A directory below the export, for nfs_export_subdirs: relative, and never leaving it.
bool is_subdir(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = slash + 1;
  }
  return true;
}

// A package as apt-get takes it from us: a name, or name=version (policy 5.6.12's
// characters, starting with a digit); never a path, which apt would install as a .deb.
bool is_package_choice(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) return is_debian_package_name(text);
  std::string_view version = text.substr(eq + 1);
  return is_debian_package_name(text.substr(0, eq)) && !version.empty() && version[0] >= '0' && version[0] <= '9' &&
         version.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~:-") ==
             std::string_view::npos;
}

bool is_action_name(std::string_view name) {
  return !name.empty() && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                              std::string_view::npos;
}

class FileReader {
 public:
  FileReader(const std::string& file, Config& config) : file_(file), config_(config) {}

  void apply(const toml::table& root) {
    for (auto&& [key, node] : root) {
      std::string name(key.str());
      if (key == "vm") {
        for (auto&& [k, v] : table(name, key, node)) apply_vm(k, v);
      } else if (key == "guest") {
        for (auto&& [k, v] : table(name, key, node)) apply_guest(k, v);
      } else if (key == "share") {
        for (auto&& [k, v] : table(name, key, node)) apply_share(k, v);
      } else if (key == "custom_actions") {
        for (auto&& [k, v] : table(name, key, node)) apply_action(k, v);
      } else {
        throw Error(where(file_, key.source()) + "unknown key " + name + " (known: vm, guest, share, custom_actions)");
      }
    }
  }

 private:
  const toml::table& table(const std::string& name, const toml::key& key, const toml::node& node) {
    const toml::table* t = node.as_table();
    if (t == nullptr) throw Error(where(file_, key.source()) + name + " must be a table");
    return *t;
  }

  Error bad(const toml::node& node, const std::string& message) { return Error(where(file_, node.source()) + message); }

  int integer(const std::string& name, const toml::node& node, int64_t min, int64_t max) {
    const auto* value = node.as_integer();
    if (value == nullptr) throw bad(node, name + " must be an integer");
    int64_t n = value->get();
    if (n < min || n > max) {
      throw bad(node, name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                          std::to_string(n) + ")");
    }
    return static_cast<int>(n);
  }

  bool boolean(const std::string& name, const toml::node& node) {
    const auto* value = node.as_boolean();
    if (value == nullptr) throw bad(node, name + " must be true or false");
    return value->get();
  }

  // A string among `choices`.
  template <size_t N>
  std::string one_of(const std::string& name, const toml::node& node, const std::array<std::string_view, N>& choices) {
    const auto* value = node.as_string();
    std::string list;
    for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
    if (value == nullptr) throw bad(node, name + " must be a string, one of " + list);
    const std::string& text = value->get();
    for (std::string_view c : choices)
      if (text == c) return text;
    throw bad(node, name + " must be one of " + list + " (got '" + text + "')");
  }

  std::string string(const std::string& name, const toml::node& node) {
    const auto* value = node.as_string();
    if (value == nullptr) throw bad(node, name + " must be a string");
    return value->get();
  }

  // An array of strings, each of which `valid` accepts (else "... is not <what>: '<it>'").
  std::vector<std::string> strings(const std::string& name, const toml::node& node, const std::string& what,
                                   const std::function<bool(std::string_view)>& valid) {
    const toml::array* array = node.as_array();
    if (array == nullptr) throw bad(node, name + " must be an array of strings");
    std::vector<std::string> result;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = (*array)[i];
      std::string which = "element " + std::to_string(i + 1) + " of " + name;
      std::string text = string(which, element);
      if (!valid(text)) throw bad(element, which + " is not " + what + ": '" + text + "'");
      result.push_back(std::move(text));
    }
    return result;
  }

  void apply_vm(const toml::key& key, const toml::node& node) {
    std::string name = "vm." + std::string(key.str());
    if (key == "ram_size_mib") {
      config_.ram_size_mib = integer(name, node, kMinRamSizeMib, kMaxRamSizeMib);
    } else if (key == "num_vcpus") {
      config_.num_vcpus = integer(name, node, kMinVcpus, kMaxVcpus);
    } else if (key == "log_level") {
      config_.log_level = one_of(name, node, kLogLevels);
    } else if (key == "backend") {
      config_.backend = parse_backend_kind(one_of(name, node, kVmBackends));
    } else if (key == "instant_mount") {
      config_.instant_mount = boolean(name, node);
    } else {
      throw Error(where(file_, key.source()) + "unknown key " + name +
                  " (known: ram_size_mib, num_vcpus, log_level, backend, instant_mount)");
    }
    config_.origin[name] = file_;
  }

  void apply_guest(const toml::key& key, const toml::node& node) {
    std::string name = "guest." + std::string(key.str());
    if (key == "custom_packages")
      config_.custom_packages =
          strings(name, node, "a Debian package name (a name, not a .deb file)", is_package_choice);
    else if (key == "zfs")
      config_.zfs = boolean(name, node);
    else
      throw Error(where(file_, key.source()) + "unknown key " + name + " (known: custom_packages, zfs)");
    config_.origin[name] = file_;
  }

  void apply_share(const toml::key& key, const toml::node& node) {
    std::string name = "share." + std::string(key.str());
    if (key != "allow") throw Error(where(file_, key.source()) + "unknown key " + name + " (known: allow)");
    config_.share_allow = strings(name, node, "an IPv4 network (ADDR or ADDR/PREFIX)", [](std::string_view text) {
      try {
        parse_network(text);
        return true;
      } catch (const Error&) {
        return false;
      }
    });
    config_.origin[name] = file_;
  }

  // A whole action: one defined again in a later file replaces it, fields left out included.
  void apply_action(const toml::key& key, const toml::node& node) {
    std::string name = "custom_actions." + std::string(key.str());
    if (!is_action_name(key.str())) {
      throw Error(where(file_, key.source()) + "custom action name '" + std::string(key.str()) +
                  "' may only have letters, digits, '_' and '-'");
    }
    CustomAction action;
    for (auto&& [k, v] : table(name, key, node)) {
      std::string field = name + "." + std::string(k.str());
      if (k == "description") {
        action.description = string(field, v);
      } else if (k == "before_mount") {
        action.before_mount = string(field, v);
      } else if (k == "after_mount") {
        action.after_mount = string(field, v);
      } else if (k == "before_unmount") {
        action.before_unmount = string(field, v);
      } else if (k == "environment") {
        action.environment = strings(field, v, "NAME=value", is_assignment);
      } else if (k == "capture_environment") {
        action.capture_environment = strings(field, v, "a variable name", is_variable_name);
      } else if (k == "override_nfs_export") {
        action.override_nfs_export = string(field, v);
        if (!action.override_nfs_export.starts_with('/'))
          throw bad(v, field + " must be an absolute path (got '" + action.override_nfs_export + "')");
      } else if (k == "nfs_export_subdirs") {
        action.nfs_export_subdirs = strings(field, v, "a relative path below the export", is_subdir);
      } else if (k == "required_os") {
        action.required_os = string(field, v);
        if (action.required_os != "linux" && action.required_os != "freebsd")
          throw bad(v, field + " must be \"linux\" or \"freebsd\" (got '" + action.required_os + "')");
      } else {
        throw Error(where(file_, k.source()) + "unknown key " + field +
                    " (known: description, before_mount, after_mount, before_unmount, environment, "
                    "capture_environment, override_nfs_export, nfs_export_subdirs, required_os)");
      }
    }
    config_.custom_actions[std::string(key.str())] = std::move(action);
    config_.origin[name] = file_;
  }

  const std::string& file_;
  Config& config_;
};

}  // namespace

std::string_view to_string(BackendKind kind) { return kVmBackends[static_cast<size_t>(kind)]; }

BackendKind parse_backend_kind(std::string_view name) {
  for (size_t i = 0; i < kVmBackends.size(); ++i)
    if (kVmBackends[i] == name) return static_cast<BackendKind>(i);
  throw Error("unknown VM backend '" + std::string(name) + "' (known: auto, qemu, krun)");
}

bool is_debian_package_name(std::string_view name) {
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return name.size() >= 2 && lower_or_digit(name[0]) && std::all_of(name.begin(), name.end(), [&](char c) {
           return lower_or_digit(c) || c == '+' || c == '-' || c == '.';
         });
}

std::string user_config_file(const std::string& home) {
  return home + (home.ends_with('/') ? "" : "/") + ".anylinuxfs/config.toml";
}

std::vector<std::string> default_config_files(const std::string& home) {
  const char* system = std::getenv("ALFS_SYSTEM_CONFIG");
  std::vector<std::string> files = {system && *system ? system : "/etc/anylinuxfs.toml"};
  if (!home.empty()) files.push_back(user_config_file(home));
  return files;
}

Config load_config(const std::vector<std::string>& files) {
  Config config;
  for (const std::string& file : files) {
    std::string text;
    try {
      text = read_file(file);
    } catch (const SystemError& e) {
      if (e.code() == ENOENT) continue;
      throw;
    }
    FileReader(file, config).apply(parse_toml(text, file));
  }
  return config;
}

}  // namespace alfs
