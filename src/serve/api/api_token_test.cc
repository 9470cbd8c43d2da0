// The API token file: made once (0600), matched in constant time, rotated, and picked up by a
// running server when another process rotates it.
#include "serve/api/api_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "serve/store/store_test_support.h"

namespace wgd::serve::api {
namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

TEST(ApiToken, CreatedOnceWithMode0600) {
  serve::testing::TempDir dir;
  const std::string path = dir.file("api-token");
  auto t = ApiToken::open(path);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE((*t)->created());
  EXPECT_EQ(serve::testing::file_mode(path), 0600u);
  const std::string token = read(path);
  EXPECT_EQ(token.size(), 43u);  // 32 bytes, unpadded base64url
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_TRUE((*t)->matches(token));
  EXPECT_FALSE((*t)->matches(token.substr(0, 42)));
  EXPECT_FALSE((*t)->matches(token + "x"));
  EXPECT_FALSE((*t)->matches(""));

  auto again = ApiToken::open(path);
  ASSERT_TRUE(again);
  EXPECT_FALSE((*again)->created());
  EXPECT_TRUE((*again)->matches(token));
  EXPECT_NE(ApiToken::generate(), ApiToken::generate());
  // Never taken for an option on a command line: 2,000 draws would show the 1-in-32 case.
  for (int i = 0; i < 2000; ++i) {
    const std::string t = ApiToken::generate();
    ASSERT_NE(t.front(), '-') << t.size();
    ASSERT_NE(t.front(), '_') << t.size();
  }
}

TEST(ApiToken, LooseModeIsRepairedAndBadContentRefused) {
  serve::testing::TempDir dir;
  const std::string path = dir.file("api-token");
  std::ofstream(path) << "a-token-someone-wrote-by-hand-0123456789\n";
  ::chmod(path.c_str(), 0644);
  auto t = ApiToken::open(path);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(serve::testing::file_mode(path), 0600u);
  EXPECT_TRUE((*t)->matches("a-token-someone-wrote-by-hand-0123456789"));

  std::ofstream(path, std::ios::trunc) << "short\n";
  auto bad = ApiToken::open(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(path), std::string::npos);
}

TEST(ApiToken, RotateInProcessAndFromAnotherProcess) {
  serve::testing::TempDir dir;
  const std::string path = dir.file("api-token");
  auto t = ApiToken::open(path);
  ASSERT_TRUE(t);
  const std::string first = read(path);
  auto second = (*t)->rotate();
  ASSERT_TRUE(second);
  EXPECT_NE(*second, first);
  EXPECT_EQ(read(path), *second);
  EXPECT_EQ(serve::testing::file_mode(path), 0600u);
  EXPECT_FALSE((*t)->matches(first));
  EXPECT_TRUE((*t)->matches(*second));

  // `wgd serve --rotate-token` from another process: seen within about a second.
  auto third = rotate_token_file(path);
  ASSERT_TRUE(third);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!(*t)->matches(*third) && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE((*t)->matches(*third));
  EXPECT_FALSE((*t)->matches(*second));
}

}  // namespace
}  // namespace wgd::serve::api
