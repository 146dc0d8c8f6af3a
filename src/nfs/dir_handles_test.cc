// DirHandles with a fake lookup (a map of paths to handles) and a fake clock.
#include "nfs/dir_handles.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

namespace alfs::nfs {
namespace {

using namespace std::chrono_literals;

class DirHandlesTest : public ::testing::Test {
 protected:
  DirHandlesTest()
      : dirs_(
            "root",
            [this](const FileHandle& dir, const std::string& name, FileHandle& out) {
              lookups_.push_back(dir + "/" + name);
              if (missing_ == name) return -ENOENT;
              out = dir + "/" + name + std::to_string(generation_);
              return 0;
            },
            1s, [this] { return now_; }) {}

  std::string resolve(std::string_view path) {
    FileHandle out;
    const int r = dirs_.resolve(path, out);
    return r < 0 ? "error " + std::to_string(-r) : out;
  }

  DirHandles::Clock::time_point now_{};
  std::vector<std::string> lookups_;
  std::string missing_;
  int generation_ = 0;  // changes the handles a lookup makes
  DirHandles dirs_;
};

TEST(SplitPath, ParentAndName) {
  EXPECT_EQ(split_path("/a/b/c"), std::make_pair(std::string_view("/a/b"), std::string_view("c")));
  EXPECT_EQ(split_path("/c"), std::make_pair(std::string_view("/"), std::string_view("c")));
}

TEST_F(DirHandlesTest, RootNeedsNoLookup) {
  EXPECT_EQ(resolve("/"), "root");
  EXPECT_TRUE(lookups_.empty());
}

TEST_F(DirHandlesTest, EachComponentIsLookedUpOnceThenCached) {
  EXPECT_EQ(resolve("/a/b"), "root/a0/b0");
  EXPECT_EQ(lookups_, (std::vector<std::string>{"root/a", "root/a0/b"}));
  lookups_.clear();
  EXPECT_EQ(resolve("/a/b"), "root/a0/b0");
  EXPECT_EQ(resolve("/a/c"), "root/a0/c0");  // only c: a is cached
  EXPECT_EQ(lookups_, (std::vector<std::string>{"root/a0/c"}));
}

TEST_F(DirHandlesTest, EntriesExpire) {
  resolve("/a");
  now_ += 999ms;
  generation_ = 1;
  EXPECT_EQ(resolve("/a"), "root/a0");
  now_ += 1ms;
  EXPECT_EQ(resolve("/a"), "root/a1");
}

TEST_F(DirHandlesTest, ForgettingAPathForgetsWhatIsBelowItOnly) {
  resolve("/a/b/c");
  resolve("/ab");
  generation_ = 1;
  dirs_.forget("/a");
  EXPECT_EQ(resolve("/a/b/c"), "root/a1/b1/c1");
  EXPECT_EQ(resolve("/ab"), "root/ab0");  // a sibling whose name starts alike stays
}

TEST_F(DirHandlesTest, ForgettingAllStartsAgain) {
  resolve("/a/b");
  dirs_.forget_all();
  EXPECT_EQ(dirs_.size(), 0u);
  generation_ = 1;
  EXPECT_EQ(resolve("/a/b"), "root/a1/b1");
}

TEST_F(DirHandlesTest, AFailedLookupIsReportedAndNotCached) {
  missing_ = "b";
  EXPECT_EQ(resolve("/a/b/c"), "error " + std::to_string(ENOENT));
  EXPECT_EQ(dirs_.size(), 1u);  // /a
  missing_.clear();
  EXPECT_EQ(resolve("/a/b/c"), "root/a0/b0/c0");
}

TEST_F(DirHandlesTest, InParentPassesTheParentsHandleAndTheLastName) {
  std::string seen;
  EXPECT_EQ(dirs_.in_parent("/a/b/name",
                            [&](const FileHandle& dir, const std::string& name) {
                              seen = dir + " " + name;
                              return 0;
                            }),
            0);
  EXPECT_EQ(seen, "root/a0/b0 name");
  EXPECT_EQ(dirs_.in_parent("/top",
                            [&](const FileHandle& dir, const std::string& name) {
                              seen = dir + " " + name;
                              return 0;
                            }),
            0);
  EXPECT_EQ(seen, "root top");
}

// The directory went away in the guest (and came back): its cached handle is stale.
TEST_F(DirHandlesTest, AStaleHandleIsLookedUpAgainOnce) {
  resolve("/a/b");
  generation_ = 1;
  std::vector<std::string> dirs;
  EXPECT_EQ(dirs_.in_dir("/a/b",
                         [&](const FileHandle& dir) {
                           dirs.push_back(dir);
                           return dir == "root/a0/b0" ? -ESTALE : 0;
                         }),
            0);
  EXPECT_EQ(dirs, (std::vector<std::string>{"root/a0/b0", "root/a1/b1"}));
}

TEST_F(DirHandlesTest, StaleTwiceIsTheCallersError) {
  int calls = 0;
  EXPECT_EQ(dirs_.in_dir("/a",
                         [&](const FileHandle&) {
                           ++calls;
                           return -ESTALE;
                         }),
            -ESTALE);
  EXPECT_EQ(calls, 2);
}

TEST_F(DirHandlesTest, OtherErrorsAreNotRetried) {
  int calls = 0;
  EXPECT_EQ(dirs_.in_dir("/a",
                         [&](const FileHandle&) {
                           ++calls;
                           return -ENOENT;
                         }),
            -ENOENT);
  EXPECT_EQ(calls, 1);
}

TEST_F(DirHandlesTest, StaysBounded) {
  for (size_t i = 0; i <= DirHandles::kMaxEntries; ++i) resolve("/d" + std::to_string(i));
  EXPECT_LE(dirs_.size(), DirHandles::kMaxEntries);
  EXPECT_GE(dirs_.size(), 1u);
}

}  // namespace
}  // namespace alfs::nfs
