#pragma once

// Error codes of the chronos protocol. Pure: the CAF glue that turns them into
// `caf::error` lives in messages.hpp, so the pure parts can report failures too.

#include <cstdint>
#include <string>

namespace chronos {

enum class errc : std::uint8_t {
  /// A request field is malformed or out of range (empty name, negative delay...).
  invalid_argument = 1,
  /// No pending or parked timeout has this token.
  unknown_token,
  /// The name is bound to another live actor.
  name_in_use,
  /// The name is not bound to any actor.
  unknown_name,
  /// A state file or journal could not be read or written.
  storage_failure,
  /// A limit would be exceeded (too many timeouts, payload too large...).
  limit_exceeded,
  /// chronosd cannot be reached, or the peer is not a chronosd.
  unavailable,
  /// chronosd has more requests waiting than it takes on: try again later.
  overloaded,
  /// This chronosd stands by (another leads the shared store): ask the
  /// leader, whose address the detail names when it is known.
  standby,
};

/// A short, stable name for each code ("unknown token", ...).
const char* to_string(errc code) noexcept;

/// An error as a value: a code and a human-readable detail.
struct failure {
  errc code;
  std::string detail;
};

} // namespace chronos
