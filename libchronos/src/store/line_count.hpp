#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace chronos::detail {

/// The line ends ('\n') in `text`. memchr finds them many bytes at a time;
/// std::count would look at each byte.
inline std::size_t count_lines(std::string_view text) {
  std::size_t lines = 0;
  const char* end = text.data() + text.size();
  for (const char* p = text.data();
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))));
       ++p)
    ++lines;
  return lines;
}

} // namespace chronos::detail
