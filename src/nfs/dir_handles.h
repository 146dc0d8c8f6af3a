// Directory handles by path, so that a call about /a/b/name looks up `name` in /a/b alone
// instead of every component anew, as libnfs's path calls do (a LOOKUP each, about a
// millisecond each under TCG). An entry lives as long as the kernel keeps its own dentries
// (the bridge's entry_timeout) and a rename or removal through the mount drops it at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace alfs::nfs {

// An NFSv3 file handle as the server sent it: 1 to 64 opaque bytes.
using FileHandle = std::string;

// "/a/b/c" -> {"/a/b", "c"}; "/c" -> {"/", "c"}. For the absolute paths libfuse passes.
std::pair<std::string_view, std::string_view> split_path(std::string_view path);

class DirHandles {
 public:
  using Clock = std::chrono::steady_clock;
  // Looks `name` up in directory `dir`: 0 with `out` set, or -errno.
  using Lookup = std::function<int(const FileHandle& dir, const std::string& name, FileHandle& out)>;
  // The most entries kept: past it the cache starts again empty (a tree walk of 4,096
  // directories still finds each parent cached).
  static constexpr size_t kMaxEntries = 4096;

  DirHandles(FileHandle root, Lookup lookup, Clock::duration ttl, std::function<Clock::time_point()> now = Clock::now);

  // The handle of directory `path` ("/" or "/a/b"): 0 with `out` set, or -errno.
  int resolve(std::string_view path, FileHandle& out);
  // `call` with the handle of directory `path`; once more with fresh handles when it
  // fails with ESTALE (a cached directory went away in the guest). 0 or -errno.
  int in_dir(std::string_view path, const std::function<int(const FileHandle& dir)>& call);
  // Likewise with the handle of the directory holding `path`, and the last name of `path`.
  int in_parent(std::string_view path, const std::function<int(const FileHandle& dir, const std::string& name)>& call);
  // `path` and everything below it: renamed or removed.
  void forget(std::string_view path);
  // Every entry: a handle turned out stale.
  void forget_all() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    FileHandle handle;
    Clock::time_point expires;
  };
  FileHandle root_;
  Lookup lookup_;
  Clock::duration ttl_;
  std::function<Clock::time_point()> now_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace alfs::nfs
