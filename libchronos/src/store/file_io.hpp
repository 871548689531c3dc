#pragma once

// Small POSIX helpers shared by the files chronos writes (atomic_file.cpp,
// journal.cpp). Private to libchronos.

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

#include "chronos/base/outcome.hpp"

namespace chronos::detail {

/// "WHAT 'PATH': strerror(errno)" as a storage failure.
inline failure io_error(const std::string& what, const std::string& path) {
  return fail(errc::storage_failure, what + " '" + path + "': " + std::strerror(errno));
}

/// All of `bytes` written at `offset`, across interruptions and short writes.
/// False with errno set on failure (ENOSPC for a write that makes no progress).
inline bool write_all_at(int fd, std::string_view bytes, std::uint64_t offset) {
  while (!bytes.empty()) {
    const auto n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = ENOSPC;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

/// The folder a path is in ("." for a bare file name).
inline std::string folder_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// fsync of the folder holding `path`, so that a new or renamed name in it
/// survives a crash.
inline status sync_folder_of(const std::string& path) {
  const std::string folder = folder_of(path);
  int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return io_error("cannot open folder", folder);
  if (::fsync(dir) != 0) {
    auto err = io_error("cannot sync folder", folder);
    ::close(dir);
    return err;
  }
  ::close(dir);
  return done{};
}

} // namespace chronos::detail
