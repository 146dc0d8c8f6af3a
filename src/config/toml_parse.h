// toml++ parsing with its errors as the config files report them.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "common/error.h"

namespace alfs {

// Throws Error "<file>:<line>:<column>: <what is wrong>" for bad syntax.
inline toml::table parse_toml(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    throw Error(file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                std::string(e.description()));
  }
}

}  // namespace alfs
