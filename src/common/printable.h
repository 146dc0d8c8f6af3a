// Text from the guest (or read off a disk) on the user's terminal: a hostile disk's
// labels, names and messages must not drive the terminal (escape sequences can retitle
// it, rewrite what was printed, or on some terminals answer back as typed input).
#pragma once

#include <string>
#include <string_view>

namespace alfs {

// `text` with every control character escaped: C0 controls and DEL as \xNN (\n, \t, \r
// as \n, \t, \r), C1 controls and the bidirectional overrides as \uNNNN, bytes that are
// not UTF-8 as \xNN. With `keep_lines`, newlines and tabs stay as they are.
std::string printable(std::string_view text, bool keep_lines = false);

}  // namespace alfs
