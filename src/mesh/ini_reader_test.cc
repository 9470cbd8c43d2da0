#include "mesh/ini_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wgd::mesh {
namespace {

using ::testing::HasSubstr;

TEST(IniReader, SectionsKeysAndComments) {
  auto s = read_ini(
      "# heading comment\n"
      "[Mesh]\n"
      "  Listen-Port =  55867  # trailing comment\n"
      "; a semicolon comment\n"
      "\n"
      "[host  Dolores ]\r\n"
      "comment = Hetzner, San Francisco\r\n"
      "empty =\n",
      "m.ini");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].kind, "mesh");
  EXPECT_EQ((*s)[0].argument, "");
  EXPECT_EQ((*s)[0].line, 2);
  ASSERT_EQ((*s)[0].entries.size(), 1u);
  EXPECT_EQ((*s)[0].entries[0].key, "listen_port");
  EXPECT_EQ((*s)[0].entries[0].value, "55867");
  EXPECT_EQ((*s)[0].entries[0].line, 3);
  EXPECT_EQ((*s)[1].kind, "host");
  EXPECT_EQ((*s)[1].argument, "Dolores");
  ASSERT_EQ((*s)[1].entries.size(), 2u);
  EXPECT_EQ((*s)[1].entries[0].value, "Hetzner, San Francisco");
  EXPECT_EQ((*s)[1].entries[1].key, "empty");
  EXPECT_EQ((*s)[1].entries[1].value, "");
}

TEST(IniReader, EveryMalformedLineIsReportedWithItsLine) {
  auto s = read_ini(
      "stray = 1\n"
      "[mesh\n"
      "[mesh]\n"
      "no equals sign\n"
      "bad key! = 3\n"
      "= value\n"
      "name = a\x01z\n"
      "[]\n",
      "m.ini");
  ASSERT_FALSE(s);
  const std::string& m = s.error().message;
  EXPECT_THAT(m, HasSubstr("m.ini:1: stray: outside any section"));
  EXPECT_THAT(m, HasSubstr("m.ini:2: a section header must end with ']'"));
  EXPECT_THAT(m, HasSubstr("m.ini:4: expected 'KEY = VALUE'"));
  EXPECT_THAT(m, HasSubstr("m.ini:5: 'bad key!' is not a key name"));
  EXPECT_THAT(m, HasSubstr("m.ini:6: '' is not a key name"));
  EXPECT_THAT(m, HasSubstr("m.ini:7: a control character"));
  EXPECT_THAT(m, HasSubstr("m.ini:8: '[]' is not a section header"));
}

TEST(IniReader, EmptyFileHasNoSections) {
  auto s = read_ini("", "m.ini");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->empty());
}

}  // namespace
}  // namespace wgd::mesh
