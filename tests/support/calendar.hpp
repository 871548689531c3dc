#pragma once

// Calendars for tests: parsed for a timeout made by hand, or asked for in a
// schedule request.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "chronos/base/cron.hpp"
#include "chronos/server/protocol.hpp"

namespace chronos::test {

inline std::shared_ptr<const cron_schedule> calendar_of(const std::string& expr,
                                                        const std::string& zone = {}) {
  auto parsed = cron_schedule::parse(expr, zone);
  INFO(expr << ": " << (parsed ? "" : parsed.error().detail));
  REQUIRE(parsed);
  return std::make_shared<const cron_schedule>(std::move(*parsed));
}

/// A schedule of `name` by `cron` in `tz`, from now on.
inline schedule_request calendar_request(std::string name, std::string cron, std::string tz = "",
                                         misfire_policy policy = misfire_policy::once) {
  schedule_request req{std::move(name), when_spec::in(0), "", 0, policy};
  req.cron = std::move(cron);
  req.tz = std::move(tz);
  return req;
}

} // namespace chronos::test
