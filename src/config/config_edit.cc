#include "config/config_edit.h"

#include <algorithm>
#include <sstream>

#include "common/error.h"
#include "config/toml_parse.h"

namespace alfs {
namespace {

// The byte offset of a toml++ position: lines count from 1, columns in code points from 1.
size_t offset_of(std::string_view text, const toml::source_position& at) {
  size_t offset = 0;
  for (toml::source_index line = 1; line < at.line && offset < text.size(); ++line) {
    size_t newline = text.find('\n', offset);
    offset = newline == std::string_view::npos ? text.size() : newline + 1;
  }
  for (toml::source_index column = 1; column < at.column && offset < text.size(); ++column) {
    ++offset;
    while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
  }
  return offset;
}

// Where the line after the one holding `offset` starts.
size_t next_line(std::string_view text, size_t offset) {
  size_t newline = text.find('\n', offset);
  return newline == std::string_view::npos ? text.size() : newline + 1;
}

// Whether `source` is the header `[table]` (toml++ gives a table implied by `[table.sub]`
// that header's position, and one implied by dotted keys the first key's).
bool is_own_header(std::string_view text, const toml::source_region& source, const std::string& table) {
  size_t begin = offset_of(text, source.begin), end = offset_of(text, source.end);
  if (end - begin < 2 || text[begin] != '[' || text[end - 1] != ']') return false;
  std::string_view name = text.substr(begin + 1, end - begin - 2);
  name.remove_prefix(std::min(name.find_first_not_of(" \t"), name.size()));
  name.remove_suffix(name.size() - (name.find_last_not_of(" \t") + 1));
  return name == table || name == "\"" + table + "\"" || name == "'" + table + "'";
}

// Whether `source` (of a table) starts with a [header], rather than a dotted key.
bool at_header(std::string_view text, const toml::source_region& source) {
  size_t offset = offset_of(text, source.begin);
  return offset < text.size() && text[offset] == '[';
}

// Moves `last` to the end of `table`'s last value written among its keys.
void last_value_end(std::string_view text, const toml::table& table, toml::source_position& last) {
  for (auto&& [key, value] : table) {
    // A [table.sub] or [[table.sub]] stands elsewhere, after headers of its own; a table
    // made of dotted keys (`sub.key = ...`) stands among the others, its values with them.
    if (value.is_array_of_tables()) continue;
    if (value.is_table() && !value.as_table()->is_inline()) {
      if (!at_header(text, value.source())) last_value_end(text, *value.as_table(), last);
      continue;
    }
    const toml::source_position& end = value.source().end;
    if (std::pair(end.line, end.column) > std::pair(last.line, last.column)) last = end;
  }
}

// Where a new key of `table` goes: the line after its last value, or after its header.
size_t after_last_value(std::string_view text, const toml::table& table) {
  toml::source_position last = table.source().begin;
  last_value_end(text, table, last);
  return next_line(text, offset_of(text, last));
}

// Whether `node` is written as one value (`key = ...`) whose text can be replaced: not a
// table made of a [header] or dotted keys, nor an array of [[tables]].
bool is_value_text(const toml::node& node) {
  return !(node.is_table() && !node.as_table()->is_inline()) && !node.is_array_of_tables();
}

// Inserts `line` (without its newline) at `offset`, the start of a line or the end of the text.
void insert_line(std::string& text, size_t offset, const std::string& line) {
  if (offset == text.size() && !text.empty() && !text.ends_with('\n')) {
    text += '\n';
    ++offset;
  }
  text.insert(offset, line + "\n");
}

}  // namespace

std::string toml_string(std::string_view s) {
  std::ostringstream out;
  out << toml::toml_formatter{toml::value<std::string>(std::string(s)), toml::format_flags::none};
  return out.str();
}

std::string set_toml_value(std::string_view text, const std::string& file, const std::string& table,
                           const std::string& key, const std::string& value) {
  toml::table root = parse_toml(text, file);
  std::string result(text);
  std::string assignment = key + " = " + value;
  const toml::node* node = root.get(table);
  const toml::table* t = node ? node->as_table() : nullptr;
  if (node != nullptr && t == nullptr) throw Error(file + ": " + table + " is not a table");
  if (const toml::node* existing = t ? t->get(key) : nullptr; existing && !is_value_text(*existing)) {
    throw Error(file + ": cannot set " + table + "." + key + ": it is a table, not a value");
  } else if (existing) {
    const toml::source_region& old = existing->source();
    size_t begin = offset_of(text, old.begin);
    result.replace(begin, offset_of(text, old.end) - begin, value);
  } else if (t != nullptr && t->is_inline()) {
    throw Error(file + ": cannot add " + table + "." + key + " to the inline table " + table + "; write it as a [" +
                table + "] table");
  } else if (t != nullptr && is_own_header(text, t->source(), table)) {
    insert_line(result, after_last_value(text, *t), assignment);
  } else if (t != nullptr && !at_header(text, t->source())) {
    // Made of dotted keys before the first header: one more of them.
    insert_line(result, after_last_value(text, *t), table + "." + assignment);
  } else {
    // No table, or only one implied by [table.sub]: a header may still follow.
    if (!result.empty()) insert_line(result, result.size(), "");
    insert_line(result, result.size(), "[" + table + "]\n" + assignment);
  }
  return result;
}

std::vector<std::pair<std::string, std::string>> config_values(const Config& config) {
  std::string packages;
  for (const std::string& p : config.custom_packages) packages += (packages.empty() ? "" : ", ") + toml_string(p);
  return {
      {"vm.ram_size_mib", std::to_string(config.ram_size_mib)},
      {"vm.num_vcpus", std::to_string(config.num_vcpus)},
      {"vm.log_level", toml_string(config.log_level)},
      {"vm.backend", toml_string(std::string(to_string(config.backend)))},
      {"vm.instant_mount", config.instant_mount ? "true" : "false"},
      {"guest.custom_packages", "[" + packages + "]"},
      {"guest.zfs", config.zfs ? "true" : "false"},
  };
}

std::string describe_config(const Config& config) {
  std::vector<std::pair<std::string, std::string>> values = config_values(config);
  size_t width = 0;
  for (const auto& [key, value] : values) width = std::max(width, key.size() + 3 + value.size());
  std::string out;
  for (const auto& [key, value] : values) {
    std::string line = key + " = " + value;
    auto origin = config.origin.find(key);
    out += line + std::string(width + 3 - line.size(), ' ') + "# " +
           (origin == config.origin.end() ? "default" : origin->second) + "\n";
  }
  out += "custom_actions: " + std::to_string(config.custom_actions.size()) + " (see `anylinuxfs actions`)\n";
  return out;
}

}  // namespace alfs
