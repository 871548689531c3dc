#include "chronos/store/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "store/file_io.hpp"
#include "store/mapped_file.hpp"

namespace chronos {

namespace {

using detail::io_error;

// Write-back is started for every range this long, and the writer waits for
// the range before it: at most two are in flight, and the final fsync finds
// little left to write.
constexpr std::uint64_t writeback_range = 4 << 20;

// Closes `fd`, keeping the first error's errno for the message.
void close_keeping_errno(int fd) {
  int saved = errno;
  ::close(fd);
  errno = saved;
}

} // namespace

outcome<atomic_writer> atomic_writer::create(const std::string& path) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("cannot create", tmp);
  return atomic_writer{path, fd};
}

atomic_writer::atomic_writer(atomic_writer&& other) noexcept
  : path_(std::move(other.path_)), fd_(other.fd_), written_(other.written_),
    flushing_from_(other.flushing_from_), flushed_to_(other.flushed_to_) {
  other.fd_ = -1;
}

atomic_writer::~atomic_writer() { abandon(); }

void atomic_writer::abandon() {
  if (fd_ < 0)
    return;
  close_keeping_errno(fd_);
  fd_ = -1;
  const int saved = errno;
  ::unlink(temporary().c_str());
  errno = saved;
}

status atomic_writer::append(std::string_view piece) {
  if (fd_ < 0)
    return fail(errc::storage_failure, "cannot write '" + temporary() + "': already closed");
  while (!piece.empty()) {
    const auto slice = piece.substr(0, writeback_range);
    if (!detail::write_all_at(fd_, slice, written_)) {
      auto err = io_error("cannot write", temporary());
      abandon();
      return err;
    }
    piece.remove_prefix(slice.size());
    written_ += slice.size();
    pace();
  }
  return done{};
}

// Pacing only: an error of the write-back itself is reported by the fsync in
// `commit`. (A length of 0 would mean "to the end of the file".)
void atomic_writer::pace() {
  if (written_ - flushing_from_ < writeback_range)
    return;
  if (flushing_from_ > flushed_to_)
    ::sync_file_range(fd_, static_cast<off64_t>(flushed_to_),
                      static_cast<off64_t>(flushing_from_ - flushed_to_),
                      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE
                        | SYNC_FILE_RANGE_WAIT_AFTER);
  flushed_to_ = flushing_from_;
  ::sync_file_range(fd_, static_cast<off64_t>(flushing_from_),
                    static_cast<off64_t>(written_ - flushing_from_), SYNC_FILE_RANGE_WRITE);
  flushing_from_ = written_;
}

status atomic_writer::commit() {
  const std::string tmp = temporary();
  if (fd_ < 0)
    return fail(errc::storage_failure, "cannot write '" + tmp + "': already closed");
  if (::fsync(fd_) != 0) {
    auto err = io_error("cannot write", tmp);
    abandon();
    return err;
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    auto err = io_error("cannot close", tmp);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    auto err = io_error("cannot rename onto", path_);
    ::unlink(tmp.c_str());
    return err;
  }
  return detail::sync_folder_of(path_);
}

status write_atomically(const std::string& path, std::string_view contents) {
  auto file = atomic_writer::create(path);
  if (!file)
    return file.error();
  if (auto ok = file->append(contents); !ok)
    return ok;
  return file->commit();
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
