#pragma once

// Small POSIX helpers shared by the files chronos writes (atomic_file.cpp,
// journal.cpp). Private to libchronos.

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "chronos/outcome.hpp"

namespace chronos::detail {

/// "WHAT 'PATH': strerror(errno)" as a storage failure.
inline failure io_error(const std::string& what, const std::string& path) {
  return fail(errc::storage_failure, what + " '" + path + "': " + std::strerror(errno));
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
