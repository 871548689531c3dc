#include "store/mapped_file.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <utility>

#include "store/file_io.hpp"

namespace chronos::detail {

outcome<std::optional<mapped_file>> mapped_file::open_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::optional<mapped_file>{};
    return io_error("cannot open", path);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    auto err = io_error("cannot read", path);
    ::close(fd);
    return err;
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return fail(errc::storage_failure, "cannot read '" + path + "': not a regular file");
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    return std::optional<mapped_file>{mapped_file{nullptr, 0}};
  }
  // Populated at once: one pass over the page tables instead of a fault a page.
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (data == MAP_FAILED) {
    auto err = io_error("cannot read", path);
    ::close(fd);
    return err;
  }
  ::close(fd); // the mapping keeps the file
  return std::optional<mapped_file>{mapped_file{static_cast<const char*>(data), size}};
}

mapped_file::mapped_file(mapped_file&& other) noexcept
  : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

mapped_file& mapped_file::operator=(mapped_file&& other) noexcept {
  if (this != &other) {
    this->~mapped_file();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

mapped_file::~mapped_file() {
  if (data_)
    ::munmap(const_cast<char*>(data_), size_);
}

} // namespace chronos::detail
