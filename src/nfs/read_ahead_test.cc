#include "nfs/read_ahead.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <deque>

namespace alfs::nfs {
namespace {

constexpr size_t kRead = 128 * 1024;  // what FUSE asks for at a time

// A file in memory; reads complete only inside wait(), in the order they were started,
// as the NFS client's do.
class FakeAsyncReads : public AsyncReads {
 public:
  explicit FakeAsyncReads(std::string content) : content(std::move(content)) {}

  int start(uint64_t offset, size_t size, std::function<void(int, const char*)> done) override {
    started.push_back({offset, size});
    pending.push_back({offset, size, std::move(done)});
    return 0;
  }
  bool wait(const std::function<bool()>& finished) override {
    while (!finished()) {
      if (pending.empty()) return false;
      Pending p = std::move(pending.front());
      pending.pop_front();
      if (fail_at && *fail_at >= p.offset && *fail_at < p.offset + p.size) {
        p.done(-EIO, nullptr);
        continue;
      }
      size_t n = p.offset >= content.size() ? 0 : std::min(p.size, content.size() - p.offset);
      p.done(static_cast<int>(n), content.data() + std::min<size_t>(p.offset, content.size()));
    }
    return true;
  }

  struct Pending {
    uint64_t offset;
    size_t size;
    std::function<void(int, const char*)> done;
  };
  std::string content;
  std::vector<std::pair<uint64_t, size_t>> started;
  std::deque<Pending> pending;
  std::optional<uint64_t> fail_at;  // a read covering this offset fails
};

std::string pattern(size_t size, int seed = 0) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + i / 4099 + static_cast<size_t>(seed)) & 0xff);
  return s;
}

// Reads the whole file as FUSE does, in 128 KiB requests.
std::string read_all(ReadAhead& ahead, uint64_t generation = 0) {
  std::string out;
  std::string buf(kRead, '\0');
  for (;;) {
    int n = ahead.read(out.size(), kRead, buf.data(), generation);
    EXPECT_GE(n, 0);
    if (n <= 0) return out;
    out.append(buf.data(), static_cast<size_t>(n));
  }
}

// Reads the first `count` 128 KiB pieces of the file, as a sequential reader starts.
void start_reading(ReadAhead& ahead, int count, uint64_t generation = 0,
                   ReadAhead::Clock::time_point now = ReadAhead::Clock::now()) {
  std::string buf(kRead, '\0');
  for (int i = 0; i < count; ++i)
    ASSERT_EQ(ahead.read(i * kRead, kRead, buf.data(), generation, now), static_cast<int>(kRead));
}

TEST(ReadAheadWithFakeReads, ASequentialReadComesBackWholeInMegabyteChunks) {
  FakeAsyncReads reads(pattern(5 * ReadAhead::kChunk + 12345));
  {
    ReadAhead ahead(reads);
    EXPECT_TRUE(read_all(ahead) == reads.content);
  }
  // Two direct reads, then nothing but whole chunks: 1 MiB READs instead of 128 KiB ones.
  ASSERT_GE(reads.started.size(), 4u);
  EXPECT_EQ(reads.started[0], (std::pair<uint64_t, size_t>{0, kRead}));
  EXPECT_EQ(reads.started[1], (std::pair<uint64_t, size_t>{kRead, kRead}));
  for (size_t i = 2; i < reads.started.size(); ++i) {
    EXPECT_EQ(reads.started[i].first, 2 * kRead + (i - 2) * ReadAhead::kChunk);
    EXPECT_EQ(reads.started[i].second, ReadAhead::kChunk);
  }
  // Once the short chunk holding the end of the file is in, nothing more is asked for: at
  // most the one already in flight starts past the end.
  EXPECT_LT(reads.started.back().first, reads.content.size() + ReadAhead::kChunk);
  EXPECT_TRUE(reads.pending.empty());
}

TEST(ReadAheadWithFakeReads, KeepsTwoChunksInFlightAheadOfTheReader) {
  FakeAsyncReads reads(pattern(8 * ReadAhead::kChunk));
  ReadAhead ahead(reads);
  std::string buf(kRead, '\0');
  ASSERT_EQ(ahead.read(0, kRead, buf.data(), 0), static_cast<int>(kRead));
  EXPECT_TRUE(reads.pending.empty());  // a lone read fetches nothing more
  ASSERT_EQ(ahead.read(kRead, kRead, buf.data(), 0), static_cast<int>(kRead));
  EXPECT_EQ(reads.pending.size(), static_cast<size_t>(ReadAhead::kDepth));
  ASSERT_EQ(ahead.read(2 * kRead, kRead, buf.data(), 0), static_cast<int>(kRead));
  EXPECT_EQ(std::string(buf.data(), kRead), reads.content.substr(2 * kRead, kRead));
  // The first chunk was waited for; the next is still in flight, and one more was asked for
  // only once the first was used up.
  EXPECT_EQ(reads.pending.size(), 1u);
}

TEST(ReadAheadWithFakeReads, RandomReadsFetchNothingAhead) {
  FakeAsyncReads reads(pattern(8 * ReadAhead::kChunk));
  ReadAhead ahead(reads);
  std::string buf(kRead, '\0');
  for (uint64_t at : {uint64_t{0}, 3 * ReadAhead::kChunk, ReadAhead::kChunk, 5 * ReadAhead::kChunk + 7}) {
    ASSERT_EQ(ahead.read(at, kRead, buf.data(), 0), static_cast<int>(kRead));
    EXPECT_EQ(std::string(buf.data(), kRead), reads.content.substr(at, kRead));
  }
  EXPECT_EQ(reads.started.size(), 4u);
}

TEST(ReadAheadWithFakeReads, AChangeThroughTheMountDropsWhatWasFetched) {
  FakeAsyncReads reads(pattern(4 * ReadAhead::kChunk));
  ReadAhead ahead(reads);
  std::string buf(kRead, '\0');
  start_reading(ahead, 3, 7);  // the first chunk is in
  reads.content = pattern(4 * ReadAhead::kChunk, 1);
  ASSERT_EQ(ahead.read(3 * kRead, kRead, buf.data(), 8), static_cast<int>(kRead));
  EXPECT_EQ(std::string(buf.data(), kRead), reads.content.substr(3 * kRead, kRead));
}

TEST(ReadAheadWithFakeReads, FetchedDataOlderThanASecondIsNotUsed) {
  FakeAsyncReads reads(pattern(4 * ReadAhead::kChunk));
  ReadAhead ahead(reads);
  std::string buf(kRead, '\0');
  auto t = ReadAhead::Clock::now();
  start_reading(ahead, 3, 0, t);
  reads.content = pattern(4 * ReadAhead::kChunk, 2);  // changed in the guest, say
  ASSERT_EQ(ahead.read(3 * kRead, kRead, buf.data(), 0, t + std::chrono::seconds(2)), static_cast<int>(kRead));
  EXPECT_EQ(std::string(buf.data(), kRead), reads.content.substr(3 * kRead, kRead));
}

TEST(ReadAheadWithFakeReads, AFailedChunkIsReadAgainAndItsErrorReported) {
  FakeAsyncReads reads(pattern(4 * ReadAhead::kChunk));
  ReadAhead ahead(reads);
  std::string buf(kRead, '\0');
  start_reading(ahead, 2);
  reads.fail_at = 2 * kRead;
  size_t before = reads.started.size();
  EXPECT_EQ(ahead.read(2 * kRead, kRead, buf.data(), 0), -EIO);
  EXPECT_GT(reads.started.size(), before);  // asked again, directly, before giving up
  reads.fail_at.reset();
  ASSERT_EQ(ahead.read(2 * kRead, kRead, buf.data(), 0), static_cast<int>(kRead));
  EXPECT_EQ(std::string(buf.data(), kRead), reads.content.substr(2 * kRead, kRead));
}

TEST(ReadAheadWithFakeReads, ClosingWaitsForReadsInFlight) {
  FakeAsyncReads reads(pattern(4 * ReadAhead::kChunk));
  {
    ReadAhead ahead(reads);
    start_reading(ahead, 2);
    ASSERT_FALSE(reads.pending.empty());
  }
  EXPECT_TRUE(reads.pending.empty());
}

TEST(ChangeLog, GenerationsMovePerPathAndAllAtOnce) {
  ChangeLog log;
  uint64_t a = log.generation("/a"), b = log.generation("/b");
  log.changed("/a");
  EXPECT_NE(log.generation("/a"), a);
  EXPECT_EQ(log.generation("/b"), b);
  uint64_t a2 = log.generation("/a");
  log.changed_all();
  EXPECT_NE(log.generation("/a"), a2);
  EXPECT_NE(log.generation("/b"), b);
}

TEST(ChangeLog, ManyPathsStillMoveEveryGeneration) {
  ChangeLog log;
  uint64_t first = log.generation("/f0");
  for (int i = 0; i < 20000; ++i) log.changed("/f" + std::to_string(i));
  EXPECT_NE(log.generation("/f0"), first);
  EXPECT_NE(log.generation("/never-written"), 0u);  // forgotten paths count as changed
}

}  // namespace
}  // namespace alfs::nfs
