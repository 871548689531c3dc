#include "chronos/base/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "chronos/base/duration.hpp"

namespace chronos {

namespace {

std::atomic<log_level> threshold{log_level::info};

const char* label(log_level level) {
  switch (level) {
    case log_level::error:
      return "ERROR";
    case log_level::warning:
      return "WARN ";
    case log_level::info:
      return "INFO ";
    case log_level::debug:
      return "DEBUG";
  }
  return "?    ";
}

} // namespace

void set_log_level(log_level level) { threshold = level; }

bool parse_log_level(std::string_view text, log_level& out) {
  constexpr std::pair<std::string_view, log_level> names[] = {
    {"error", log_level::error}, {"warning", log_level::warning},
    {"info", log_level::info}, {"debug", log_level::debug}};
  for (const auto& [name, level] : names) {
    if (text == name) {
      out = level;
      return true;
    }
  }
  return false;
}

void log(log_level level, std::string_view message) {
  if (level > threshold.load(std::memory_order_relaxed))
    return;
  std::string line = format_time(floor_ms(std::chrono::system_clock::now()));
  line += ' ';
  line += label(level);
  line += ' ';
  line += message;
  line += '\n';
  // One write a line keeps lines whole when several threads log.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::optional<std::uint64_t> log_throttle::admit() {
  const std::int64_t now = now_().time_since_epoch() / std::chrono::nanoseconds{1};
  auto next = next_ns_.load(std::memory_order_relaxed);
  if (now < next || !next_ns_.compare_exchange_strong(
                      next, now + period_ / std::chrono::nanoseconds{1}, std::memory_order_relaxed)) {
    held_back_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return held_back_.exchange(0, std::memory_order_relaxed);
}

void log_throttle::write(log_level level, std::string line, std::uint64_t held_back) {
  if (held_back > 0)
    line += " (and " + std::to_string(held_back) + " more like it before this one)";
  chronos::log(level, line);
}

} // namespace chronos
