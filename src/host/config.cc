#include "host/config.h"

#include <toml++/toml.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"

namespace alfs {
namespace {

constexpr std::array<std::string_view, 5> kLogLevels = {"error", "warn", "info", "debug", "trace"};

// "<file>:<line>: " where toml++ knows the line, "<file>: " otherwise.
std::string where(const std::string& file, const toml::source_region& source) {
  if (source.begin.line == 0) return file + ": ";
  return file + ":" + std::to_string(source.begin.line) + ": ";
}

class FileReader {
 public:
  FileReader(const std::string& file, Config& config) : file_(file), config_(config) {}

  void apply(const toml::table& root) {
    for (auto&& [key, node] : root) {
      if (key == "vm") {
        for (auto&& [k, v] : table(key, node)) apply_vm(k, v);
      } else if (key == "guest") {
        for (auto&& [k, v] : table(key, node)) apply_guest(k, v);
      } else if (key != "custom_actions") {  // custom actions are read by their own code
        throw Error(where(file_, key.source()) + "unknown key " + std::string(key.str()) +
                    " (known: vm, guest, custom_actions)");
      }
    }
  }

 private:
  const toml::table& table(const toml::key& key, const toml::node& node) {
    const toml::table* t = node.as_table();
    if (t == nullptr) throw Error(where(file_, key.source()) + std::string(key.str()) + " must be a table");
    return *t;
  }

  Error bad(const toml::node& node, const std::string& message) {
    return Error(where(file_, node.source()) + message);
  }

  int integer(const std::string& name, const toml::node& node, int64_t min, int64_t max) {
    const auto* value = node.as_integer();
    if (value == nullptr) throw bad(node, name + " must be an integer");
    int64_t n = value->get();
    if (n < min || n > max) {
      throw bad(node, name + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                          " (got " + std::to_string(n) + ")");
    }
    return static_cast<int>(n);
  }

  void apply_vm(const toml::key& key, const toml::node& node) {
    std::string name = "vm." + std::string(key.str());
    if (key == "ram_size_mib") {
      config_.ram_size_mib = integer(name, node, 128, 65536);
    } else if (key == "num_vcpus") {
      config_.num_vcpus = integer(name, node, 1, 64);
    } else if (key == "log_level") {
      const auto* value = node.as_string();
      std::string levels;
      for (std::string_view level : kLogLevels) levels += (levels.empty() ? "" : ", ") + std::string(level);
      if (value == nullptr) throw bad(node, name + " must be a string, one of " + levels);
      const std::string& level = value->get();
      bool known = false;
      for (std::string_view l : kLogLevels) known = known || level == l;
      if (!known) throw bad(node, name + " must be one of " + levels + " (got '" + level + "')");
      config_.log_level = level;
    } else {
      throw Error(where(file_, key.source()) + "unknown key " + name +
                  " (known: ram_size_mib, num_vcpus, log_level)");
    }
  }

  void apply_guest(const toml::key& key, const toml::node& node) {
    std::string name = "guest." + std::string(key.str());
    if (key != "custom_packages")
      throw Error(where(file_, key.source()) + "unknown key " + name + " (known: custom_packages)");
    const toml::array* array = node.as_array();
    if (array == nullptr) throw bad(node, name + " must be an array of strings");
    std::vector<std::string> packages;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = (*array)[i];
      std::string which = "element " + std::to_string(i + 1) + " of " + name;
      const auto* value = element.as_string();
      if (value == nullptr) throw bad(element, which + " must be a string");
      const std::string& package = value->get();
      // Names go to apt-get as separate arguments: blanks would split or corrupt them.
      if (package.empty() || package.find_first_of(" \t\r\n") != std::string::npos) {
        throw bad(element, which + " is not a package name: '" + package + "'");
      }
      packages.push_back(package);
    }
    config_.custom_packages = std::move(packages);
  }

  const std::string& file_;
  Config& config_;
};

}  // namespace

std::vector<std::string> default_config_files(const std::string& home) {
  std::vector<std::string> files = {"/etc/anylinuxfs.toml"};
  if (!home.empty()) files.push_back(home + (home.ends_with('/') ? "" : "/") + ".anylinuxfs/config.toml");
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
    toml::table root;
    try {
      root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
      const toml::source_position& at = e.source().begin;
      throw Error(file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                  std::string(e.description()));
    }
    FileReader(file, config).apply(root);
  }
  return config;
}

}  // namespace alfs
