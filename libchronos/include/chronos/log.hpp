#pragma once

// A minimal logger: one line a message on stderr, with an RFC 3339 time stamp
// and a level. CAF's own logging is compiled out of the Debian build.

#include <string_view>

namespace chronos {

enum class log_level { error = 0, warning, info, debug };

/// Messages above `level` are dropped. The default is `info`.
void set_log_level(log_level level);

/// Parses "error", "warning", "info" or "debug".
bool parse_log_level(std::string_view text, log_level& out);

void log(log_level level, std::string_view message);

inline void log_error(std::string_view m) { log(log_level::error, m); }
inline void log_warning(std::string_view m) { log(log_level::warning, m); }
inline void log_info(std::string_view m) { log(log_level::info, m); }
inline void log_debug(std::string_view m) { log(log_level::debug, m); }

} // namespace chronos
