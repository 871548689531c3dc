#pragma once

// Replacing a file so that a crash at any moment leaves either the old or the
// new contents, never a torn mix: write a temporary file in the same folder,
// fsync it, rename it over the target, fsync the folder (so the rename itself
// is durable).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chronos/base/outcome.hpp"

namespace chronos {

/// A file that replaces `path` once it is complete, written piece by piece so
/// that a large one is never whole in memory. The disk writes it back while
/// more is produced (a few MiB behind the writer, not in one fsync at the
/// end, which would hold up every other fsync on the file system, the
/// journal's, for as long as it takes). Dropped before `commit`, the
/// temporary file is removed and `path` is untouched.
class atomic_writer {
public:
  static outcome<atomic_writer> create(const std::string& path);

  atomic_writer(atomic_writer&& other) noexcept;
  atomic_writer& operator=(atomic_writer&&) = delete;
  ~atomic_writer();

  /// Appends `piece` to the temporary file.
  status append(std::string_view piece);

  /// Makes the file durable and puts it in place of `path`; once only.
  status commit();

private:
  atomic_writer(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string temporary() const { return path_ + ".tmp"; }
  void abandon();
  void pace();

  std::string path_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
  std::uint64_t flushing_from_ = 0; // write-back started up to here
  std::uint64_t flushed_to_ = 0;    // write-back finished up to here
};

status write_atomically(const std::string& path, std::string_view contents);

/// Reads a whole file (copied from a read-only mapping); `nullopt` if
/// it does not exist. Every other problem (permissions, a folder in its
/// place...) is a `storage_failure`.
outcome<std::optional<std::string>> read_file_if_exists(const std::string& path);

} // namespace chronos
