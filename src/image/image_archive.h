// `image export` and `image import`: a guest image as one file, a zstd-compressed tar of
// its files with their SHA-256 sums, so it can be built once and moved to other machines
// or users. An import verifies every member against the sums before anything enters the
// cache; a truncated, altered or foreign archive is refused and the cache is left as it was.
#pragma once

#include <string>
#include <vector>

namespace alfs {

// The members, in the archive's order; SHA256SUMS (sha256sum's format) covers the others.
inline const std::vector<std::string> kArchiveMembers = {"key",        "variant",    "manifest.txt", "kernel",
                                                         "initrd.img", "rootfs.img", "SHA256SUMS"};

// Lowercase hex SHA-256 of a file's contents; throws SystemError naming the path.
std::string sha256_file(const std::string& path);

// Writes the image in `image_dir` (its key is the directory's name) to `file`, through
// `file`.partial renamed at the end. Throws Error naming what failed.
void export_image(const std::string& image_dir, const std::string& file);

// Verifies the archive open as `archive_fd` (named `file` in messages: the caller opens it,
// with the user's credentials under sudo) and adds its image to `image_root` (marked
// imported); returns its key. Throws Error, with nothing left in the cache, for an archive
// that is damaged, not an image, of another image format (kImageFormat), or whose key the
// cache already holds.
std::string import_image(int archive_fd, const std::string& file, const std::string& image_root);

}  // namespace alfs
