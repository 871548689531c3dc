#pragma once

// A whole file mapped read-only: how chronos reads its own large files (the
// state file, journals) without first copying 100 MB into fresh memory, which
// cost a third of a restore (zeroing, copying and faulting in every page).
// Safe for those files: chronos replaces them by rename and truncates only the
// journal it is writing, which nothing reads meanwhile. (A mapped file cut
// short by someone else would end the process with SIGBUS.) Private to libchronos.

#include <optional>
#include <string>
#include <string_view>

#include "chronos/base/outcome.hpp"

namespace chronos::detail {

class mapped_file {
public:
  /// The file at `path`; `nullopt` if it does not exist. Every other problem
  /// is a `storage_failure`.
  static outcome<std::optional<mapped_file>> open_if_exists(const std::string& path);

  mapped_file(mapped_file&& other) noexcept;
  mapped_file& operator=(mapped_file&& other) noexcept;
  ~mapped_file();

  std::string_view text() const { return {data_, size_}; }

private:
  mapped_file(const char* data, std::size_t size) : data_(data), size_(size) {}

  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace chronos::detail
