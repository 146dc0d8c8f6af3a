#include "macos/plist.h"

#include <algorithm>
#include <charconv>

#include "common/error.h"

namespace alfs {

std::string to_string(Plist::Type type) {
  switch (type) {
    case Plist::Type::kString:
      return "a string";
    case Plist::Type::kInteger:
      return "an integer";
    case Plist::Type::kBoolean:
      return "a boolean";
    case Plist::Type::kData:
      return "data";
    case Plist::Type::kArray:
      return "an array";
    case Plist::Type::kDict:
      return "a dict";
  }
  return {};
}

void Plist::expect(Type type) const {
  if (type_ != type)
    throw Error("line " + std::to_string(line_) + ": expected " + alfs::to_string(type) + ", found " +
                alfs::to_string(type_));
}

const std::string& Plist::string() const {
  expect(Type::kString);
  return text_;
}

int64_t Plist::integer() const {
  expect(Type::kInteger);
  return integer_;
}

bool Plist::boolean() const {
  expect(Type::kBoolean);
  return integer_ != 0;
}

const std::string& Plist::data() const {
  expect(Type::kData);
  return text_;
}

const std::vector<Plist>& Plist::array() const {
  expect(Type::kArray);
  return children_;
}

const std::vector<std::string>& Plist::keys() const {
  expect(Type::kDict);
  return keys_;
}

const Plist* Plist::find(std::string_view key) const {
  expect(Type::kDict);
  auto it = std::find(keys_.begin(), keys_.end(), key);
  return it == keys_.end() ? nullptr : &children_[it - keys_.begin()];
}

const Plist& Plist::at(std::string_view key) const {
  const Plist* value = find(key);
  if (!value) throw Error("line " + std::to_string(line_) + ": the dict has no key " + std::string(key));
  return *value;
}

class PlistParser {
 public:
  explicit PlistParser(std::string_view xml) : xml_(xml) {}

  Plist document() {
    if (xml_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    skip_space();
    if (looking_at("<?xml")) skip_past("?>", "the XML declaration");
    skip_misc();
    if (looking_at("<!DOCTYPE")) {
      size_t end = xml_.find('>', pos_);
      if (xml_.find('[', pos_) < end) fail(pos_, "a DOCTYPE with an internal subset is not supported");
      skip_past(">", "the DOCTYPE");
      skip_misc();
    }
    Tag root = read_tag();
    if (root.closing || root.name != "plist") fail(root.at, "expected <plist>, found " + describe(root));
    if (root.empty) fail(root.at, "<plist> holds no value");
    skip_misc();
    Plist value = parse_value(read_tag(), 0);
    skip_misc();
    Tag end = read_tag();
    if (!end.closing || end.name != "plist") fail(end.at, "expected </plist> after the value, found " + describe(end));
    skip_misc();
    if (pos_ != xml_.size()) fail(pos_, "text after </plist>");
    return value;
  }

 private:
  struct Tag {
    std::string name;
    bool closing = false;
    bool empty = false;  // <name/>
    size_t at = 0;
  };

  static constexpr int kMaxDepth = 200;

  [[noreturn]] void fail(size_t at, const std::string& message) const {
    at = std::min(at, xml_.size());
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < at; ++i) {
      if (xml_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    throw Error("line " + std::to_string(line) + ", column " + std::to_string(at - line_start + 1) + ": " + message);
  }

  int line_at(size_t at) const { return 1 + static_cast<int>(std::count(xml_.begin(), xml_.begin() + at, '\n')); }

  static std::string describe(const Tag& tag) {
    if (tag.name.empty()) return "the end of the document";
    return std::string(tag.closing ? "</" : "<") + tag.name + (tag.empty ? "/>" : ">");
  }

  bool looking_at(std::string_view s) const { return xml_.substr(pos_).starts_with(s); }

  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  void skip_space() {
    while (pos_ < xml_.size() && is_space(xml_[pos_])) ++pos_;
  }

  void skip_past(std::string_view end, const std::string& what) {
    size_t found = xml_.find(end, pos_);
    if (found == std::string_view::npos) fail(pos_, what + " is not closed");
    pos_ = found + end.size();
  }

  // Between elements: blanks and comments only.
  void skip_misc() {
    for (;;) {
      skip_space();
      if (!looking_at("<!--")) break;
      skip_past("-->", "a comment");
    }
    if (pos_ < xml_.size() && xml_[pos_] != '<') {
      size_t end = std::min(xml_.find('<', pos_), pos_ + 20);
      fail(pos_, "unexpected text '" + std::string(xml_.substr(pos_, end - pos_)) + "'");
    }
  }

  static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == ':';
  }

  std::string read_name() {
    size_t start = pos_;
    while (pos_ < xml_.size() && is_name_char(xml_[pos_])) ++pos_;
    if (pos_ == start) fail(pos_, "expected an element name");
    return std::string(xml_.substr(start, pos_ - start));
  }

  // An element tag; at the end of the document, a Tag with an empty name. Only <plist>
  // may carry an attribute (version).
  Tag read_tag() {
    Tag tag;
    tag.at = pos_;
    if (pos_ == xml_.size()) return tag;
    if (looking_at("<![CDATA[")) fail(pos_, "CDATA sections are not supported");
    if (looking_at("<?") || looking_at("<!")) fail(pos_, "unexpected markup");
    ++pos_;  // '<'
    if (pos_ < xml_.size() && xml_[pos_] == '/') {
      tag.closing = true;
      ++pos_;
    }
    tag.name = read_name();
    for (;;) {
      size_t before = pos_;
      skip_space();
      if (pos_ == xml_.size()) fail(tag.at, "the tag " + describe(tag) + " is not closed");
      if (xml_[pos_] == '>') {
        ++pos_;
        return tag;
      }
      if (!tag.closing && looking_at("/>")) {
        pos_ += 2;
        tag.empty = true;
        return tag;
      }
      if (tag.closing || before == pos_) fail(pos_, "malformed tag " + describe(tag));
      size_t attribute_at = pos_;
      std::string attribute = read_name();
      if (tag.name != "plist" || attribute != "version")
        fail(attribute_at, "unexpected attribute '" + attribute + "' on " + describe(tag));
      if (pos_ == xml_.size() || xml_[pos_] != '=') fail(pos_, "expected '=' after " + attribute);
      ++pos_;
      char quote = pos_ < xml_.size() ? xml_[pos_] : 0;
      if (quote != '"' && quote != '\'') fail(pos_, "expected a quoted value for " + attribute);
      size_t close = xml_.find(quote, pos_ + 1);
      if (close == std::string_view::npos) fail(pos_, "the value of " + attribute + " is not closed");
      pos_ = close + 1;
    }
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  void append_entity(std::string& out) {
    size_t at = pos_;
    size_t semicolon = xml_.find(';', pos_);
    if (semicolon == std::string_view::npos || semicolon - pos_ > 10) fail(at, "'&' that starts no entity");
    std::string_view name = xml_.substr(pos_ + 1, semicolon - pos_ - 1);
    pos_ = semicolon + 1;
    if (name == "lt") return out += '<', void();
    if (name == "gt") return out += '>', void();
    if (name == "amp") return out += '&', void();
    if (name == "quot") return out += '"', void();
    if (name == "apos") return out += '\'', void();
    if (name.starts_with('#')) {
      bool hex = name.size() > 1 && name[1] == 'x';
      std::string_view digits = name.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && cp > 0 && cp <= 0x10FFFF &&
          (cp < 0xD800 || cp > 0xDFFF))
        return append_utf8(out, cp);
    }
    fail(at, "unknown entity &" + std::string(name) + ";");
  }

  // The character data of <name>...</name>, entities decoded; consumes the end tag.
  std::string read_text(const Tag& open) {
    std::string text;
    while (pos_ < xml_.size() && xml_[pos_] != '<') {
      if (xml_[pos_] == '&') {
        append_entity(text);
      } else {
        text += xml_[pos_++];
      }
    }
    Tag end = read_tag();
    if (!end.closing || end.name != open.name) fail(end.at, "expected </" + open.name + ">, found " + describe(end));
    return text;
  }

  void expect_end(const Tag& open) {
    skip_misc();
    Tag end = read_tag();
    if (!end.closing || end.name != open.name) fail(end.at, "expected </" + open.name + ">, found " + describe(end));
  }

  int64_t parse_integer(std::string_view text, size_t at) const {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      fail(at, "'" + std::string(text) + "' is not an integer" +
                   (ec == std::errc::result_out_of_range ? " of 64 bits" : ""));
    return value;
  }

  std::string decode_base64(std::string_view text, size_t at) const {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string chars;
    for (char c : text)
      if (!is_space(c)) chars += c;
    size_t padding = 0;
    while (padding < 2 && padding < chars.size() && chars[chars.size() - 1 - padding] == '=') ++padding;
    if (chars.size() % 4 != 0) fail(at, "<data> is not valid base64 (its length is not a multiple of 4)");
    std::string out;
    uint32_t bits = 0;
    for (size_t i = 0; i < chars.size() - padding; ++i) {
      size_t v = kAlphabet.find(chars[i]);
      if (v == std::string_view::npos) fail(at, "<data> is not valid base64 ('" + std::string(1, chars[i]) + "')");
      bits = bits << 6 | static_cast<uint32_t>(v);
      if (i % 4 == 3) {
        out += static_cast<char>(bits >> 16);
        out += static_cast<char>(bits >> 8 & 0xFF);
        out += static_cast<char>(bits & 0xFF);
        bits = 0;
      }
    }
    // A padded last group: 2 characters carry 1 byte, 3 carry 2.
    if (padding == 2) out += static_cast<char>(bits >> 4);
    if (padding == 1) {
      out += static_cast<char>(bits >> 10);
      out += static_cast<char>(bits >> 2 & 0xFF);
    }
    return out;
  }

  Plist parse_value(const Tag& tag, int depth) {
    if (tag.name.empty() || tag.closing) fail(tag.at, "expected a value, found " + describe(tag));
    if (depth > kMaxDepth) fail(tag.at, "values nested more than " + std::to_string(kMaxDepth) + " deep");
    Plist value;
    value.line_ = line_at(tag.at);
    const std::string& name = tag.name;
    if (name == "string" || name == "data" || name == "integer") {
      size_t text_at = pos_;
      std::string text = tag.empty ? std::string() : read_text(tag);
      if (name == "string") {
        value.type_ = Plist::Type::kString;
        value.text_ = std::move(text);
      } else if (name == "data") {
        value.type_ = Plist::Type::kData;
        value.text_ = decode_base64(text, text_at);
      } else {
        value.type_ = Plist::Type::kInteger;
        value.integer_ = parse_integer(text, text_at);
      }
    } else if (name == "true" || name == "false") {
      value.type_ = Plist::Type::kBoolean;
      value.integer_ = name == "true";
      if (!tag.empty) expect_end(tag);
    } else if (name == "array") {
      value.type_ = Plist::Type::kArray;
      while (!tag.empty) {
        skip_misc();
        Tag item = read_tag();
        if (item.closing && item.name == "array") break;
        value.children_.push_back(parse_value(item, depth + 1));
      }
    } else if (name == "dict") {
      value.type_ = Plist::Type::kDict;
      while (!tag.empty) {
        skip_misc();
        Tag key = read_tag();
        if (key.closing && key.name == "dict") break;
        if (key.closing || key.name != "key") fail(key.at, "expected <key> or </dict>, found " + describe(key));
        std::string text = key.empty ? std::string() : read_text(key);
        if (std::find(value.keys_.begin(), value.keys_.end(), text) != value.keys_.end())
          fail(key.at, "duplicate key " + text);
        skip_misc();
        Tag item = read_tag();
        if (item.closing || item.name.empty()) fail(item.at, "the key " + text + " has no value");
        value.keys_.push_back(std::move(text));
        value.children_.push_back(parse_value(item, depth + 1));
      }
    } else if (name == "key") {
      fail(tag.at, "<key> outside a <dict>");
    } else {
      fail(tag.at, "unsupported element " + describe(tag));
    }
    return value;
  }

  std::string_view xml_;
  size_t pos_ = 0;
};

Plist parse_plist(std::string_view xml) { return PlistParser(xml).document(); }

}  // namespace alfs
