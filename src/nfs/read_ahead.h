// Sequential reads through the FUSE mount arrive 128 KiB at a time (the kernel's FUSE
// readahead window), one after the other: each waited a whole round trip to the guest,
// whose CPU idled meanwhile (a fifth of a read under TCG). ReadAhead keeps the next
// chunks of a file read sequentially in flight, so the guest always has a READ to serve.
//
// Freshness: a chunk is used only while the file's generation (the bridge bumps it on
// every write, truncate or rename through the mount) is the one it was read under, and
// for at most kMaxAge: what the guest or another client changes meanwhile shows no later
// than that, as with a kernel NFS client's caches.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace alfs::nfs {

// The seam to the NFS client: asynchronous reads and a wait for their completion.
class AsyncReads {
 public:
  virtual ~AsyncReads() = default;
  // Starts reading `size` bytes at `offset`; `done` gets the bytes read (or -errno) and
  // the data, from within wait(). Returns -errno when the read could not start.
  virtual int start(uint64_t offset, size_t size, std::function<void(int result, const char* data)> done) = 0;
  // Serves completions until `finished()` holds; false when the client failed or timed out.
  virtual bool wait(const std::function<bool()>& finished) = 0;
};

// What changed through the mount, as generations: a file's changes when its data was
// written or truncated, everything's when names moved (rename, link).
class ChangeLog {
 public:
  uint64_t generation(const std::string& path) const;
  void changed(const std::string& path);
  void changed_all();

 private:
  static constexpr size_t kMaxPaths = 10000;  // past this, one generation for all
  std::unordered_map<std::string, uint64_t> changed_;
  uint64_t latest_ = 0;
  uint64_t all_ = 0;
};

class ReadAhead {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kChunk = 1 << 20;  // nfsd's largest READ (guest/agent.h)
  static constexpr int kDepth = 2;           // chunks in flight ahead of the reader
  static constexpr auto kMaxAge = std::chrono::seconds(1);

  explicit ReadAhead(AsyncReads& reads) : reads_(reads) {}
  // Waits for the chunks still in flight: their completions refer to the open file.
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // pread(2) of the file: bytes copied into `buf`, or -errno. `generation` is the file's
  // current one.
  int read(uint64_t offset, size_t size, char* buf, uint64_t generation, Clock::time_point now = Clock::now());

 private:
  struct Chunk {
    uint64_t offset = 0;
    size_t size = 0;
    bool done = false;
    int result = 0;  // bytes, or -errno
    std::string data;
    Clock::time_point asked{};
  };

  // Copies what the chunks hold from `offset` on; sets `end_of_file` when a chunk was short.
  int serve(uint64_t offset, size_t size, char* buf, bool& end_of_file);
  void top_up(Clock::time_point now);
  // Starts reading into a new chunk; null when the read could not start.
  std::shared_ptr<Chunk> fetch(uint64_t offset, size_t size, Clock::time_point now);
  void drop_all();
  bool wait_for(const std::shared_ptr<Chunk>& chunk);

  AsyncReads& reads_;
  std::deque<std::shared_ptr<Chunk>> window_;   // in file order, contiguous
  std::deque<std::shared_ptr<Chunk>> dropped_;  // still in flight: waited for at the end
  uint64_t next_offset_ = UINT64_MAX;           // where a sequential read would start
  uint64_t generation_ = 0;
  bool end_of_file_ = false;  // a chunk came back short: nothing further to fetch
};

}  // namespace alfs::nfs
