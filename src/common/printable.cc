#include "common/printable.h"

#include <cstdint>
#include <cstdio>

namespace alfs {

namespace {

// Length of the UTF-8 sequence at the start of `s` and its code point; 0 when it is none
// (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut short).
size_t decode_utf8(std::string_view s, uint32_t& cp) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = b(0);
  size_t n = lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : (lead & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || s.size() < n) return 0;
  cp = n == 1 ? lead : lead & (0x7f >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b(i) & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool is_format_override(uint32_t cp) { return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069); }

}  // namespace

std::string printable(std::string_view text, bool keep_lines) {
  std::string out;
  out.reserve(text.size());
  char escaped[16];
  while (!text.empty()) {
    uint32_t cp = 0;
    size_t n = decode_utf8(text, cp);
    if (n == 0) {
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(text[0]));
      out += escaped;
      n = 1;
    } else if (cp < 0x20 || cp == 0x7f) {
      if (keep_lines && (cp == '\n' || cp == '\t')) {
        out += static_cast<char>(cp);
      } else if (cp == '\n' || cp == '\t' || cp == '\r') {
        out += cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : "\\r";
      } else {
        std::snprintf(escaped, sizeof escaped, "\\x%02x", cp);
        out += escaped;
      }
    } else if ((cp >= 0x80 && cp <= 0x9f) || is_format_override(cp)) {
      std::snprintf(escaped, sizeof escaped, "\\u%04x", cp);
      out += escaped;
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

}  // namespace alfs
