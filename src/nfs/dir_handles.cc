#include "nfs/dir_handles.h"

#include <cerrno>

namespace alfs::nfs {

std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"/", path};
  return {slash == 0 ? std::string_view("/") : path.substr(0, slash), path.substr(slash + 1)};
}

DirHandles::DirHandles(FileHandle root, Lookup lookup, Clock::duration ttl, std::function<Clock::time_point()> now)
    : root_(std::move(root)), lookup_(std::move(lookup)), ttl_(ttl), now_(std::move(now)) {}

int DirHandles::resolve(std::string_view path, FileHandle& out) {
  if (path.empty() || path == "/") {
    out = root_;
    return 0;
  }
  const auto now = now_();
  if (auto it = entries_.find(path); it != entries_.end()) {
    if (it->second.expires > now) {
      out = it->second.handle;
      return 0;
    }
    entries_.erase(it);
  }
  const auto [parent_path, name] = split_path(path);
  FileHandle parent;
  if (int r = resolve(parent_path, parent); r < 0) return r;
  if (int r = lookup_(parent, std::string(name), out); r < 0) return r;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[std::string(path)] = {out, now + ttl_};
  return 0;
}

int DirHandles::in_dir(std::string_view path, const std::function<int(const FileHandle& dir)>& call) {
  for (int attempt = 0;; ++attempt) {
    FileHandle dir;
    int r = resolve(path, dir);
    if (r == 0) r = call(dir);
    if (r != -ESTALE || attempt > 0) return r;
    forget_all();
  }
}

int DirHandles::in_parent(std::string_view path,
                          const std::function<int(const FileHandle& dir, const std::string& name)>& call) {
  const auto [parent, name] = split_path(path);
  const std::string leaf(name);
  return in_dir(parent, [&](const FileHandle& dir) { return call(dir, leaf); });
}

void DirHandles::forget(std::string_view path) {
  if (path.empty() || path == "/") {
    forget_all();
    return;
  }
  entries_.erase(std::string(path));
  const std::string below = std::string(path) + "/";
  for (auto it = entries_.lower_bound(below); it != entries_.end() && it->first.starts_with(below);) {
    it = entries_.erase(it);
  }
}

}  // namespace alfs::nfs
