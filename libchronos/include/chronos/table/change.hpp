#pragma once

// One change of the server state: what the journal records and replays, and,
// for the changes a client asked for, what undoes it when it cannot be made
// durable (the client is then told it failed, so it must not happen).
//
//   op          journaled fields        effect on replay
//   schedule    entry                   pending += entry
//   cancel      token                   pending -= token, parked -= token
//   reschedule  token, deadline, delay  the pending (or parked one-shot) timeout moves
//                                       to deadline and is pending
//   fire        token                   a one-shot leaves pending (it came due)
//   rearm       token, deadline, delay  a recurring timeout moves to its next deadline
//   park        entry                   parked += entry (due, its name had no actor)
//   deliver     token                   parked -= token (handed to a registered actor)

#include <cstdint>
#include <memory>
#include <optional>

#include "chronos/table/timeout.hpp"

namespace chronos {

struct change {
  enum class op : std::uint8_t { schedule, cancel, reschedule, fire, rearm, park, deliver };

  op what;
  chronos::token token;
  /// schedule, park: the entry added.
  timeout entry;
  /// reschedule, rearm: the new deadline.
  timestamp deadline{};
  /// Undo data of client changes (not journaled): what the tables held before.
  /// Behind a pointer: most changes (fires, parks, deliveries) have none, and a
  /// backlog of 100,000 of them should not carry two empty timeouts each.
  struct before {
    std::optional<timeout> pending;
    std::optional<timeout> parked;
  };
  std::shared_ptr<const before> was;
  /// reschedule, rearm: the jitter's draw for the new deadline (zero
  /// without jitter).
  millis delay{0};
};

const char* to_string(change::op what) noexcept;
std::optional<change::op> parse_op(std::string_view text) noexcept;

} // namespace chronos
