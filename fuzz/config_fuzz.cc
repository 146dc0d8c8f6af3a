// The config file loader and `anylinuxfs config`'s editor on any text.
//   load_config: accepts the file or throws alfs::Error ("<file>:<line>: ...").
//   set_toml_value: with each edit `config` and `pkg` make, accepts the text or throws
//   alfs::Error; what it returns parses, holds the new value, and a config that loaded
//   before the edit still loads after it.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "check.h"
#include "common/error.h"
#include "config/config.h"
#include "config/config_edit.h"
#include "config/toml_parse.h"

namespace {

struct Edit {
  const char* table;
  const char* key;
  const char* value;
};
constexpr Edit kEdits[] = {
    {"vm", "num_vcpus", "4"},
    {"vm", "ram_size_mib", "1024"},
    {"vm", "log_level", "\"debug\""},
    {"guest", "custom_packages", "[\"jq\", \"borgbackup\"]"},
};

std::string formatted(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& n) { out << toml::toml_formatter{n}; });
  return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static InputFile input;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string& file = input.write(text);

  bool loads = true;
  try {
    alfs::load_config({file});
  } catch (const alfs::Error&) {
    loads = false;
  }

  for (const Edit& edit : kEdits) {
    std::string edited;
    try {
      edited = alfs::set_toml_value(text, file, edit.table, edit.key, edit.value);
    } catch (const alfs::Error&) {
      continue;
    }
    std::string what = std::string(edit.table) + "." + edit.key + " = " + edit.value;
    toml::table root;
    try {
      root = alfs::parse_toml(edited, file);
    } catch (const alfs::Error& e) {
      FUZZ_CHECK(false, what + " gave text that does not parse: " + e.what() + "\n---\n" + edited);
    }
    const toml::node* table = root.get(edit.table);
    FUZZ_CHECK(table && table->is_table(), what + ": no table after the edit\n---\n" + edited);
    const toml::node* value = table->as_table()->get(edit.key);
    FUZZ_CHECK(value != nullptr, what + ": no value after the edit\n---\n" + edited);
    toml::table expected = alfs::parse_toml(std::string("v = ") + edit.value, "expected");
    FUZZ_CHECK(formatted(*value) == formatted(*expected.get("v")),
               what + ": the value is " + formatted(*value) + "\n---\n" + edited);
    if (loads) {
      input.write(edited);
      try {
        alfs::load_config({file});
      } catch (const alfs::Error& e) {
        FUZZ_CHECK(false, what + ": a config that loaded does not after the edit: " + e.what() + "\n---\n" +
                              std::string(text) + "\n--- edited:\n" + edited);
      }
    }
  }
  return 0;
}
