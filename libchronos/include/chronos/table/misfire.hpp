#pragma once

// What a recurring timeout does about the periods it missed, while chronos was
// down or stalled, or while its name had no live actor (Quartz calls these
// misfires). An occurrence is missed when the next period has come due too by
// the time chronos fires it; a timeout late by less than one period is simply
// late, and delivered under every policy.
//
//   once  deliver one occurrence (the first missed), re-arm to the next future
//         period; parks at most one occurrence (the default)
//   all   deliver every missed period, oldest first, at most
//         server_limits::max_catch_up of them (the latest); parked, it is
//         expanded again when the name registers
//   skip  deliver nothing for missed periods and never park: only an
//         occurrence on time for a live actor is delivered
//
// Occurrences not delivered because of a policy are counted in stats
// ("skipped"). One-shot timeouts have no periods to miss: they are always
// delivered, however late.

#include <cstdint>
#include <optional>
#include <string_view>

namespace chronos {

enum class misfire_policy : std::uint8_t { once, all, skip };

const char* to_string(misfire_policy p) noexcept;

std::optional<misfire_policy> parse_misfire(std::string_view text) noexcept;

} // namespace chronos
