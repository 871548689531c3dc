#pragma once

// Replacing a file so that a crash at any moment leaves either the old or the
// new contents, never a torn mix: write a temporary file in the same folder,
// fsync it, rename it over the target, fsync the folder (so the rename itself
// is durable).

#include <optional>
#include <string>
#include <string_view>

#include "chronos/outcome.hpp"

namespace chronos {

status write_atomically(const std::string& path, std::string_view contents);

/// Reads a whole file (copied from a read-only mapping); `nullopt` if
/// it does not exist. Every other problem (permissions, a folder in its
/// place...) is a `storage_failure`.
outcome<std::optional<std::string>> read_file_if_exists(const std::string& path);

} // namespace chronos
