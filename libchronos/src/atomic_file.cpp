#include "chronos/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "file_io.hpp"
#include "mapped_file.hpp"

namespace chronos {

namespace {

using detail::io_error;

// Writes in slices, each flushed to disk: one fsync of a large file at the end
// would hold up every other fsync on the file system (the journal's!) for
// as long as it takes, which clients would see as a pause.
bool write_all(int fd, std::string_view data) {
  constexpr std::size_t slice = 4 << 20;
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), std::min(data.size(), slice));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (!data.empty() && ::fdatasync(fd) != 0)
      return false;
  }
  return true;
}

// Closes `fd`, keeping the first error's errno for the message.
void close_keeping_errno(int fd) {
  int saved = errno;
  ::close(fd);
  errno = saved;
}

} // namespace

status write_atomically(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("cannot create", tmp);
  if (!write_all(fd, contents) || ::fsync(fd) != 0) {
    auto err = io_error("cannot write", tmp);
    close_keeping_errno(fd);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::close(fd) != 0) {
    auto err = io_error("cannot close", tmp);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = io_error("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return err;
  }
  return detail::sync_folder_of(path);
}

outcome<std::optional<std::string>> read_file_if_exists(const std::string& path) {
  auto file = detail::mapped_file::open_if_exists(path);
  if (!file)
    return file.error();
  if (!*file)
    return std::optional<std::string>{};
  return std::optional<std::string>{std::string{(*file)->text()}};
}

} // namespace chronos
