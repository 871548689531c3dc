#pragma once

// A minimal logger: one line a message on stderr, with an RFC 3339 time stamp
// and a level. CAF's own logging is compiled out of the Debian build.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
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

/// Lets one line through per period, for what a peer can make happen as often
/// as it likes (refused messages): the log says that it happens, and how
/// often, without growing at the peer's pace. Thread-safe.
class log_throttle {
public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  explicit log_throttle(std::chrono::milliseconds period = std::chrono::seconds{1},
                        clock_fn now = std::chrono::steady_clock::now)
    : period_(period), now_(std::move(now)) {}

  /// For a line about to be logged: how many were held back since the last
  /// one let through, or nothing if this one is held back too.
  std::optional<std::uint64_t> admit();

  /// Logs the line `make()` builds, if admitted, with the count of those
  /// held back before it. A line held back is never built: a flood costs a
  /// clock read a line.
  template <class Make>
  void log(log_level level, Make make) {
    if (auto held_back = admit())
      write(level, make(), *held_back);
  }

private:
  static void write(log_level level, std::string line, std::uint64_t held_back);

  std::chrono::milliseconds period_;
  clock_fn now_;
  std::atomic<std::int64_t> next_ns_{std::numeric_limits<std::int64_t>::min()};
  std::atomic<std::uint64_t> held_back_{0};
};

} // namespace chronos
