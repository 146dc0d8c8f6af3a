// drop_zero_pages() on streams laid out as QEMU 7.2 writes them (migration/savevm.c, ram.c).
#include "vm/migration_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "common/fd.h"
#include "common/temp_dir.h"

namespace alfs::vm {
namespace {

std::string be(uint64_t v, size_t n) {
  std::string out;
  for (size_t i = n; i-- > 0;) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}
std::string name(const std::string& s) { return be(s.size(), 1) + s; }

constexpr uint64_t kZero = 0x02, kMemSize = 0x04, kPage = 0x08, kEos = 0x10, kContinue = 0x20;
const std::string kRam = "microvm.ram", kBios = "pc.bios";
const std::string kPageA(4096, 'a');

std::string header() { return be(0x5145564d, 4) + be(3, 4) + "\x07" + be(7, 4) + "microvm"; }
std::string footer(int id) { return "\x7e" + be(id, 4); }
std::string ram_start() {
  return std::string("\x01", 1) + be(2, 4) + name("ram") + be(0, 4) + be(4, 4) + be(0x5000 | kMemSize, 8) + name(kRam) +
         be(0x4000, 8) + name(kBios) + be(0x1000, 8) + be(kEos, 8) + footer(2);
}
std::string ram_end() { return std::string("\x03", 1) + be(2, 4) + be(kEos, 8) + footer(2); }
// A device's state and the end: not RAM, copied byte for byte.
std::string devices() { return std::string("\x04", 1) + be(3, 4) + name("timer") + be(0, 4) + be(2, 4) + "xyz\x00"; }

struct Filtered {
  std::optional<ZeroPages> result;
  std::string out;
};
Filtered filter(const std::string& stream) {
  TempDir dir("alfs-stream");
  write_file_atomic(dir.file("in"), stream, 0600);
  UniqueFd in = open_file(dir.file("in"), O_RDONLY | O_CLOEXEC);
  UniqueFd out = open_file(dir.file("out"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  Filtered run{drop_zero_pages(in.get(), out.get()), ""};
  run.out = read_file(dir.file("out"));
  return run;
}

TEST(MigrationStream, DropsTheZeroPagesOfTheMachinesRamAndNamesTheBlockOfTheRecordAfterThem) {
  std::string part = std::string("\x02", 1) + be(2, 4) +                           //
                     be(0x0000 | kZero, 8) + name(kRam) + std::string(1, '\0') +   // dropped
                     be(0x1000 | kPage | kContinue, 8) + kPageA +                  // kept: now names its block
                     be(0x2000 | kZero | kContinue, 8) + std::string(1, '\0') +    // dropped
                     be(0x0000 | kZero, 8) + name(kBios) + std::string(1, '\0') +  // firmware: kept
                     be(0x3000 | kZero, 8) + name(kRam) + "\x05" +                 // filled with 5s: kept
                     be(kEos, 8) + footer(2);
  std::string want_part = std::string("\x02", 1) + be(2, 4) +            //
                          be(0x1000 | kPage, 8) + name(kRam) + kPageA +  //
                          be(0x0000 | kZero, 8) + name(kBios) + std::string(1, '\0') + be(0x3000 | kZero, 8) +
                          name(kRam) + "\x05" +  //
                          be(kEos, 8) + footer(2);
  Filtered run = filter(header() + ram_start() + part + ram_end() + devices());
  ASSERT_TRUE(run.result);
  EXPECT_EQ(run.result->pages, 4u);
  EXPECT_EQ(run.result->dropped, 2u);
  EXPECT_EQ(run.out, header() + ram_start() + want_part + ram_end() + devices());
}

TEST(MigrationStream, KeepsContinuingRecordsOfTheSameBlock) {
  std::string part = std::string("\x02", 1) + be(2, 4) + be(0x1000 | kPage, 8) + name(kRam) + kPageA +
                     be(0x2000 | kPage | kContinue, 8) + kPageA + be(kEos, 8) + footer(2);
  Filtered run = filter(header() + ram_start() + part + ram_end() + devices());
  ASSERT_TRUE(run.result);
  EXPECT_EQ(run.result->dropped, 0u);
  EXPECT_EQ(run.out, header() + ram_start() + part + ram_end() + devices());
}

TEST(MigrationStream, RefusesWhatItDoesNotKnow) {
  std::string page = std::string("\x02", 1) + be(2, 4) + be(0x1000 | kPage, 8) + name(kRam) + kPageA;
  std::string whole = header() + ram_start() + page + be(kEos, 8) + footer(2) + ram_end() + devices();
  EXPECT_TRUE(filter(whole).result);
  // Another magic or version.
  EXPECT_FALSE(filter("QEVX" + whole.substr(4)).result);
  EXPECT_FALSE(filter(whole.substr(0, 4) + be(2, 4) + whole.substr(8)).result);
  // A configuration with a subsection (capabilities).
  EXPECT_FALSE(filter(header() + "\x05" + name("configuration/capabilities") + whole.substr(header().size())).result);
  // A compressed page.
  EXPECT_FALSE(filter(header() + ram_start() + std::string("\x02", 1) + be(2, 4) + be(0x1000 | 0x100, 8) + name(kRam) +
                      kPageA + be(kEos, 8) + footer(2) + ram_end() + devices())
                   .result);
  // A device's state before the RAM's end.
  EXPECT_FALSE(filter(header() + ram_start() + devices() + ram_end()).result);
  // Cut short in a page.
  EXPECT_FALSE(filter(header() + ram_start() + page.substr(0, page.size() - 10)).result);
  // A continuing record with no block before it.
  EXPECT_FALSE(filter(header() + ram_start() + std::string("\x02", 1) + be(2, 4) + be(0x1000 | kPage | kContinue, 8) +
                      kPageA + be(kEos, 8) + footer(2) + ram_end() + devices())
                   .result);
}

}  // namespace
}  // namespace alfs::vm
