#pragma once

// Small helpers shared by the command-line programs: strict number and
// duration parsing and an argument cursor. Header-only, no CAF.

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/base/duration.hpp"

namespace chronos::cli {

/// A usage error: printed as "PROGRAM: MESSAGE" with exit status 2.
struct usage_error {
  std::string message;
};

/// `parse(argc, argv)`; on a usage error, prints it and exits with status 2.
template <class Parse>
auto parse_or_exit(const char* program, Parse parse, int argc, char** argv) {
  try {
    return parse(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << program << ": " << e.message << "\n";
    std::exit(2);
  }
}

inline std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    if (value > (max - static_cast<std::uint64_t>(c - '0')) / 10)
      return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

inline std::uint16_t parse_port(std::string_view text) {
  auto port = parse_uint(text, 65535);
  if (!port)
    throw usage_error{"invalid port '" + std::string{text} + "' (expected 0 to 65535)"};
  return static_cast<std::uint16_t>(*port);
}

/// Whether a DURATION option may be zero.
enum class zero_duration { allowed, refused };

/// The value of a DURATION option (`option` names it in errors).
inline millis parse_duration_option(const std::string& option, std::string_view text,
                                    zero_duration zero) {
  auto d = parse_duration(text);
  if (!d)
    throw usage_error{d.error().detail};
  if (zero == zero_duration::refused && d->count() == 0)
    throw usage_error{option + " must be longer than 0ms"};
  return *d;
}

/// Walks argv; `value()` takes the argument of an option or fails with its name.
class args {
public:
  args(int argc, char** argv) : list_(argv + 1, argv + argc) {}

  bool done() const { return pos_ >= list_.size(); }
  const std::string& peek() const { return list_[pos_]; }
  std::string next() { return list_[pos_++]; }

  std::string value(const std::string& option) {
    if (done())
      throw usage_error{"option " + option + " needs a value"};
    return next();
  }

private:
  std::vector<std::string> list_;
  std::size_t pos_ = 0;
};

} // namespace chronos::cli
