// XML property lists, as macOS tools write them (`diskutil ... -plist`): the subset
// dict, array, key, string, integer, true, false and data. Strict: anything else is an
// error naming its line and column, so a format change shows up as a precise failure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace alfs {

class Plist {
 public:
  enum class Type { kString, kInteger, kBoolean, kData, kArray, kDict };

  Type type() const { return type_; }
  int line() const { return line_; }  // where the value starts in the document

  // Each accessor throws Error ("line 12: expected a string, found an integer") when the
  // value is of another type.
  const std::string& string() const;
  int64_t integer() const;
  bool boolean() const;
  const std::string& data() const;  // the decoded bytes of <data>
  const std::vector<Plist>& array() const;

  // Dictionaries keep the document's key order.
  const std::vector<std::string>& keys() const;
  const Plist* find(std::string_view key) const;  // nullptr when the key is absent
  const Plist& at(std::string_view key) const;    // throws Error when the key is absent

 private:
  friend class PlistParser;
  void expect(Type type) const;

  Type type_ = Type::kString;
  int line_ = 0;
  std::string text_;               // string, or data's bytes
  int64_t integer_ = 0;            // integer, or boolean as 0/1
  std::vector<std::string> keys_;  // dict keys, parallel to children_
  std::vector<Plist> children_;    // array items, or dict values
};

// Parses a whole document: optional XML declaration, DOCTYPE and comments, then
// <plist> holding exactly one value. Throws Error("line L, column C: ...").
Plist parse_plist(std::string_view xml);

std::string to_string(Plist::Type type);  // "a string", "an integer", ...

}  // namespace alfs
