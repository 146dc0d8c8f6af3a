#include "vm/migration_stream.h"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"

namespace alfs::vm {

namespace {

// QEMU's migration/savevm.c and migration/ram.c.
constexpr uint32_t kMagic = 0x5145564d;  // "QEVM"
constexpr uint32_t kVersion = 3;
enum Section : uint8_t { kStart = 1, kPart = 2, kEnd = 3, kConfiguration = 7, kFooter = 0x7e };
enum RamFlag : uint64_t { kZero = 0x02, kMemSize = 0x04, kPage = 0x08, kEos = 0x10, kContinue = 0x20 };
constexpr uint64_t kPageSize = 4096;  // the target's page: flags live in the offset's low bits
constexpr uint64_t kFlagBits = kPageSize - 1;

class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}

  // Whether `n` more bytes are there (reading them in as needed).
  bool has(size_t n) {
    while (buf_.size() - pos_ < n) {
      if (pos_ > (1u << 20)) {
        buf_.erase(0, pos_);
        pos_ = 0;
      }
      char chunk[1 << 16];
      ssize_t got = ::read(fd_, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw SystemError("reading the saved guest");
      if (got == 0) return false;
      buf_.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }
  uint8_t peek() const { return static_cast<uint8_t>(buf_[pos_]); }
  std::string_view take(size_t n) {
    std::string_view v(buf_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  uint64_t be(size_t n) {
    uint64_t v = 0;
    for (unsigned char c : take(n)) v = v << 8 | c;
    return v;
  }
  // What is read and not yet taken.
  std::string_view rest() { return take(buf_.size() - pos_); }

 private:
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) {}
  void put(std::string_view v) {
    buf_.append(v);
    if (buf_.size() >= (1u << 20)) flush();
  }
  void be(uint64_t v, size_t n) {
    for (size_t i = n; i-- > 0;) buf_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void flush() {
    write_all(fd_, buf_);
    buf_.clear();
  }

 private:
  int fd_;
  std::string buf_;
};

class Filter {
 public:
  Filter(int in, int out) : in_(in), out_(out) {}

  std::optional<ZeroPages> run() {
    if (!in_.has(8) || in_.be(4) != kMagic || in_.be(4) != kVersion) return std::nullopt;
    out_.be(kMagic, 4);
    out_.be(kVersion, 4);
    // The configuration: the machine's name, and nothing else (a subsection would carry
    // capabilities this reader does not know the effect of).
    if (!in_.has(5) || in_.be(1) != kConfiguration) return std::nullopt;
    uint64_t name = in_.be(4);
    if (!in_.has(name)) return std::nullopt;
    out_.be(kConfiguration, 1);
    out_.be(name, 4);
    out_.put(in_.take(name));
    // The RAM's sections come first: its start, its parts and its end; then the devices'
    // state, copied as it is. (A RAM record after a device's would need the last block
    // the reader saw, which the dropped records change.)
    for (;;) {
      if (!in_.has(5)) return std::nullopt;
      uint8_t type = static_cast<uint8_t>(in_.be(1));
      if (type != kStart && type != kPart && type != kEnd) return std::nullopt;
      uint64_t id = in_.be(4);
      out_.be(type, 1);
      out_.be(id, 4);
      if (type == kStart) {
        if (!in_.has(1)) return std::nullopt;
        size_t len = static_cast<uint8_t>(in_.take(1)[0]);
        if (!in_.has(len + 8)) return std::nullopt;
        std::string_view idstr = in_.take(len);
        if (idstr != "ram" || ram_id_) return std::nullopt;
        ram_id_ = id;
        out_.be(len, 1);
        out_.put(idstr);
        out_.put(in_.take(8));  // instance and version
      } else if (!ram_id_ || id != *ram_id_) {
        return std::nullopt;
      }
      if (!ram_records()) return std::nullopt;
      // The section's footer, which machine types since QEMU 2.4 write.
      if (in_.has(1) && in_.peek() == kFooter) {
        if (!in_.has(5)) return std::nullopt;
        in_.take(1);
        if (in_.be(4) != id) return std::nullopt;
        out_.be(kFooter, 1);
        out_.be(id, 4);
      }
      if (type == kEnd) break;
    }
    do {
      out_.put(in_.rest());
    } while (in_.has(1));
    out_.flush();
    return stats_;
  }

 private:
  // One section's RAM records, up to its end-of-section mark.
  bool ram_records() {
    last_out_.reset();  // each section names its first record's block
    for (;;) {
      if (!in_.has(8)) return false;
      uint64_t word = in_.be(8);
      uint64_t flags = word & kFlagBits;
      if (flags == kEos) {
        out_.be(word, 8);
        return true;
      }
      if (flags == kMemSize) {
        out_.be(word, 8);
        if (!copy_block_list(word & ~kFlagBits)) return false;
        continue;
      }
      if ((flags & ~kContinue) != kZero && (flags & ~kContinue) != kPage) return false;
      if (!(flags & kContinue)) {
        if (!in_.has(1)) return false;
        size_t len = static_cast<uint8_t>(in_.take(1)[0]);
        if (!in_.has(len)) return false;
        block_ = std::string(in_.take(len));
      } else if (!block_) {
        return false;
      }
      bool zero = (flags & kZero) != 0;
      size_t size = zero ? 1 : kPageSize;
      if (!in_.has(size)) return false;
      std::string_view data = in_.take(size);
      bool machine_ram = block_->ends_with(".ram");
      if (machine_ram) ++stats_.pages;
      if (machine_ram && zero && data[0] == 0) {
        ++stats_.dropped;
        continue;
      }
      bool same = last_out_ && *last_out_ == *block_;
      out_.be((word & ~kFlagBits) | (flags & ~kContinue) | (same ? kContinue : 0), 8);
      if (!same) {
        out_.be(block_->size(), 1);
        out_.put(*block_);
        last_out_ = block_;
      }
      out_.put(data);
    }
  }

  // The RAM blocks' names and sizes, which add up to `total`.
  bool copy_block_list(uint64_t total) {
    while (total > 0) {
      if (!in_.has(1)) return false;
      size_t len = static_cast<uint8_t>(in_.take(1)[0]);
      if (!in_.has(len + 8)) return false;
      out_.be(len, 1);
      out_.put(in_.take(len));
      uint64_t size = in_.be(8);
      out_.be(size, 8);
      if (size > total) return false;
      total -= size;
    }
    return true;
  }

  Reader in_;
  Writer out_;
  std::optional<uint64_t> ram_id_;
  std::optional<std::string> block_, last_out_;
  ZeroPages stats_;
};

}  // namespace

std::optional<ZeroPages> drop_zero_pages(int in, int out) { return Filter(in, out).run(); }

}  // namespace alfs::vm
