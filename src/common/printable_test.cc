#include "common/printable.h"

#include <gtest/gtest.h>

namespace alfs {
namespace {

TEST(Printable, LeavesTextAndUnicodeAlone) {
  EXPECT_EQ(printable("ext4 on /mnt/disk (rw)"), "ext4 on /mnt/disk (rw)");
  EXPECT_EQ(printable("Données été 日本 🙂"), "Données été 日本 🙂");
}

TEST(Printable, EscapesTerminalEscapeSequences) {
  // Retitling the terminal, then clearing the screen.
  EXPECT_EQ(printable("\x1b]0;pwned\x07label\x1b[2J"), "\\x1b]0;pwned\\x07label\\x1b[2J");
  EXPECT_EQ(printable(std::string("a\0b\x7f", 4)), "a\\x00b\\x7f");
}

TEST(Printable, LineBreaksAreEscapedUnlessLinesAreKept) {
  EXPECT_EQ(printable("one\ntwo\tthree\rfour"), "one\\ntwo\\tthree\\rfour");
  EXPECT_EQ(printable("one\ntwo\tthree\rfour", true), "one\ntwo\tthree\\rfour");
}

TEST(Printable, EscapesC1ControlsAndBidiOverrides) {
  // U+009B is CSI for terminals that take 8-bit controls; U+202E reverses what follows.
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\u009b31m");
  EXPECT_EQ(printable("file\xe2\x80\xae"
                      "gpj.exe"),
            "file\\u202egpj.exe");
}

TEST(Printable, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(printable("\x9b"
                      "31m"),
            "\\x9b31m");                                             // a raw 8-bit CSI
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // beyond U+10FFFF
  EXPECT_EQ(printable("cut \xe6\x97"), "cut \\xe6\\x97");
}

}  // namespace
}  // namespace alfs
