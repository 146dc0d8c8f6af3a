// `anylinuxfs config`'s work on TOML text: editing a file in place, keeping what it does
// not change (comments, order, layout), which toml++ would drop when writing a file
// out; and listing the effective values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace alfs {

// `s` as a TOML basic string, quoted and escaped.
std::string toml_string(std::string_view s);

// `text` (TOML, read from `file`) with `table`.`key` set to `value`, a TOML literal (`4`,
// `"debug"`). An existing value is replaced where it stands (a comment after it stays); a
// missing key goes on the line after the table's last value (or its [table] header), as
// `table.key = ...` when the table is made of such dotted keys; a missing table is
// appended. Throws Error naming `file` when the text does not parse, or the key cannot
// be added there (`table` is an inline table or not a table).
std::string set_toml_value(std::string_view text, const std::string& file, const std::string& table,
                           const std::string& key, const std::string& value);

// The effective values but the custom actions as TOML literals, by dotted key
// ("vm.num_vcpus"), in the order `config` shows them.
std::vector<std::pair<std::string, std::string>> config_values(const Config& config);

// One `key = value   # <file or "default">` line per config_values, then the number of
// custom actions.
std::string describe_config(const Config& config);

}  // namespace alfs
