#include "macos/plist.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace alfs {
namespace {

constexpr const char* kHeader =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
    "<plist version=\"1.0\">\n";

Plist parse_body(const std::string& body) { return parse_plist(kHeader + body + "\n</plist>\n"); }

// The message of the Error that parsing `xml` throws.
std::string error_of(const std::string& xml) {
  try {
    parse_plist(xml);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string body_error(const std::string& body) { return error_of(kHeader + body + "\n</plist>\n"); }

TEST(Plist, ParsesEveryElementOfTheSubset) {
  Plist p = parse_body(R"(<dict>
	<key>Name</key>
	<string>Data &amp; more &lt;1&gt; &#233;&#x263A;</string>
	<key>Size</key>
	<integer>500277792768</integer>
	<key>Offset</key>
	<integer>-20</integer>
	<key>Internal</key>
	<true/>
	<key>Ejectable</key>
	<false/>
	<key>Blob</key>
	<data>
	AAEC/w==
	</data>
	<key>Empty</key>
	<string/>
	<key>List</key>
	<array>
		<string>disk0</string>
		<array/>
		<dict/>
	</array>
</dict>)");
  ASSERT_EQ(p.type(), Plist::Type::kDict);
  EXPECT_EQ(p.keys(),
            (std::vector<std::string>{"Name", "Size", "Offset", "Internal", "Ejectable", "Blob", "Empty", "List"}));
  EXPECT_EQ(p.at("Name").string(), "Data & more <1> \xC3\xA9\xE2\x98\xBA");
  EXPECT_EQ(p.at("Size").integer(), 500277792768);
  EXPECT_EQ(p.at("Offset").integer(), -20);
  EXPECT_TRUE(p.at("Internal").boolean());
  EXPECT_FALSE(p.at("Ejectable").boolean());
  EXPECT_EQ(p.at("Blob").data(), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(p.at("Empty").string(), "");
  const auto& list = p.at("List").array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].string(), "disk0");
  EXPECT_TRUE(list[1].array().empty());
  EXPECT_TRUE(list[2].keys().empty());
  EXPECT_EQ(p.find("Missing"), nullptr);
  EXPECT_EQ(p.at("Size").line(), 8);
}

TEST(Plist, DecodesBase64OfEveryLength) {
  EXPECT_EQ(parse_body("<data></data>").data(), "");
  EXPECT_EQ(parse_body("<data>YQ==</data>").data(), "a");
  EXPECT_EQ(parse_body("<data>YWI=</data>").data(), "ab");
  EXPECT_EQ(parse_body("<data>YWJj</data>").data(), "abc");
  EXPECT_EQ(parse_body("<data>YWJj\n\tZA==</data>").data(), "abcd");
}

TEST(Plist, AcceptsAMinimalDocumentAndComments) {
  Plist p = parse_plist("<plist><!-- x --><string>a</string><!-- y --></plist>");
  EXPECT_EQ(p.string(), "a");
}

TEST(Plist, WrongTypeAndMissingKeyNameTheLine) {
  Plist p = parse_body("<dict>\n<key>Size</key>\n<string>big</string>\n</dict>");
  try {
    p.at("Size").integer();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "line 6: expected an integer, found a string");
  }
  try {
    p.at("Content");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "line 4: the dict has no key Content");
  }
}

TEST(Plist, ErrorsNameLineAndColumn) {
  // The header is 3 lines: the body starts on line 4.
  EXPECT_EQ(body_error("<dict><key>a</key></dict>"), "line 4, column 19: the key a has no value");
  EXPECT_EQ(body_error("<dict><key>a</key><string>1</string><key>a</key><true/></dict>"),
            "line 4, column 37: duplicate key a");
  EXPECT_EQ(body_error("<dict><string>x</string></dict>"),
            "line 4, column 7: expected <key> or </dict>, found <string>");
  EXPECT_EQ(body_error("<array><key>a</key></array>"), "line 4, column 8: <key> outside a <dict>");
  EXPECT_EQ(body_error("<string>a</strin>"), "line 4, column 10: expected </string>, found </strin>");
  EXPECT_EQ(body_error("<integer>12a</integer>"), "line 4, column 10: '12a' is not an integer");
  EXPECT_EQ(body_error("<integer>99999999999999999999</integer>"),
            "line 4, column 10: '99999999999999999999' is not an integer of 64 bits");
  EXPECT_EQ(body_error("<integer/>"), "line 4, column 11: '' is not an integer");
  EXPECT_EQ(body_error("<real>1.5</real>"), "line 4, column 1: unsupported element <real>");
  EXPECT_EQ(body_error("<date>2014-10-26T14:03:27Z</date>"), "line 4, column 1: unsupported element <date>");
  EXPECT_EQ(body_error("<string>a &nbsp; b</string>"), "line 4, column 11: unknown entity &nbsp;");
  EXPECT_EQ(body_error("<string>a & b</string>"), "line 4, column 11: '&' that starts no entity");
  EXPECT_EQ(body_error("<data>YQ=</data>"),
            "line 4, column 7: <data> is not valid base64 (its length is not a multiple of 4)");
  EXPECT_EQ(body_error("<data>Y=Q=</data>"), "line 4, column 7: <data> is not valid base64 ('=')");
  EXPECT_EQ(body_error("<string a=\"1\">x</string>"), "line 4, column 9: unexpected attribute 'a' on <string>");
  EXPECT_EQ(body_error("<array>x</array>"), "line 4, column 8: unexpected text 'x'");
  EXPECT_EQ(body_error("<string><![CDATA[x]]></string>"), "line 4, column 9: CDATA sections are not supported");
  EXPECT_EQ(body_error("<true>x</true>"), "line 4, column 7: unexpected text 'x'");
  EXPECT_EQ(body_error("<true></false>"), "line 4, column 7: expected </true>, found </false>");
  EXPECT_EQ(body_error("<string>a</string><string>b</string>"),
            "line 4, column 19: expected </plist> after the value, found <string>");
}

TEST(Plist, DocumentLevelErrors) {
  EXPECT_EQ(error_of(""), "line 1, column 1: expected <plist>, found the end of the document");
  EXPECT_EQ(error_of("<dict></dict>"), "line 1, column 1: expected <plist>, found <dict>");
  EXPECT_EQ(error_of("<plist/>"), "line 1, column 1: <plist> holds no value");
  EXPECT_EQ(error_of("<plist></plist>"), "line 1, column 8: expected a value, found </plist>");
  EXPECT_EQ(error_of("<plist><dict>"), "line 1, column 14: expected <key> or </dict>, found the end of the document");
  EXPECT_EQ(error_of("<plist><true/></plist>x"), "line 1, column 23: unexpected text 'x'");
  EXPECT_EQ(error_of("<plist><true/></plist><plist>"), "line 1, column 23: text after </plist>");
  EXPECT_EQ(error_of("<!DOCTYPE plist [<!ENTITY a \"b\">]><plist><true/></plist>"),
            "line 1, column 1: a DOCTYPE with an internal subset is not supported");
  EXPECT_EQ(error_of("<?xml version=\"1.0\""), "line 1, column 1: the XML declaration is not closed");
  EXPECT_EQ(error_of("Could not find disk: disk9\n"), "line 1, column 1: unexpected text 'Could not find disk:'");
}

TEST(Plist, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<array>";
  EXPECT_NE(body_error(deep).find("nested more than 200 deep"), std::string::npos);
}

}  // namespace
}  // namespace alfs
