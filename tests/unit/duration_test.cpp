#include <catch2/catch.hpp>

#include "chronos/base/duration.hpp"

using namespace chronos;

namespace {

std::int64_t ms_of(const char* text) {
  auto d = parse_duration(text);
  INFO(text << ": " << (d ? "" : d.error().detail));
  REQUIRE(d);
  return d->count();
}

std::int64_t epoch_of(const char* text) {
  auto t = parse_time(text);
  INFO(text << ": " << (t ? "" : t.error().detail));
  REQUIRE(t);
  return to_epoch_ms(*t);
}

} // namespace

TEST_CASE("durations in every unit parse to milliseconds") {
  CHECK(ms_of("250ms") == 250);
  CHECK(ms_of("5s") == 5000);
  CHECK(ms_of("1.5s") == 1500);
  CHECK(ms_of("2m") == 120'000);
  CHECK(ms_of("1h") == 3'600'000);
  CHECK(ms_of("1d") == 86'400'000);
  CHECK(ms_of("0.25h") == 900'000);
  CHECK(ms_of("0ms") == 0);
  CHECK(ms_of("0.001s") == 1);
}

TEST_CASE("malformed durations are errors that say what is wrong") {
  for (const char* text : {"", "5parsecs", "5 parsecs", "-3s", "s", "1.s", ".5s", "5", "5S",
                           " 5s", "5s ", "1e3ms", "+5s", "0x10s", "5sec", "1.5ms", "0.0001s",
                           "99999999999999999999d", "1.1234567891s"}) {
    auto d = parse_duration(text);
    INFO("'" << text << "'");
    REQUIRE_FALSE(d);
    CHECK(d.error().code == errc::invalid_argument);
    CHECK(d.error().detail.find(std::string("'") + text + "'") != std::string::npos);
  }
  CHECK(parse_duration("-3s").error().detail.find("negative") != std::string::npos);
  CHECK(parse_duration("").error().detail.find("empty") != std::string::npos);
}

TEST_CASE("durations print in the largest exact unit") {
  CHECK(format_duration(millis{0}) == "0ms");
  CHECK(format_duration(millis{1500}) == "1500ms");
  CHECK(format_duration(millis{90'000}) == "90s");
  CHECK(format_duration(millis{5'400'000}) == "90m");
  CHECK(format_duration(millis{172'800'000}) == "2d");
  CHECK(ms_of(format_duration(millis{123'456}).c_str()) == 123'456);
}

TEST_CASE("times parse from RFC 3339 and epoch milliseconds") {
  CHECK(epoch_of("0") == 0);
  CHECK(epoch_of("1795302000250") == 1'795'302'000'250);
  CHECK(epoch_of("1970-01-01T00:00:00Z") == 0);
  CHECK(epoch_of("2026-11-21T23:00:00.250Z") == 1'795'302'000'250);
  CHECK(epoch_of("2026-11-22T00:00:00.250+01:00") == 1'795'302'000'250);
  CHECK(epoch_of("2026-11-21T18:30:00.250-04:30") == 1'795'302'000'250);
  CHECK(epoch_of("2026-11-21t23:00:00.25z") == 1'795'302'000'250);
  CHECK(epoch_of("2024-02-29T12:00:00Z") == 1'709'208'000'000);
  CHECK(epoch_of("9999-12-31T23:59:59.999Z") == max_deadline_ms);
}

TEST_CASE("fractions finer than a millisecond round up, never early") {
  CHECK(epoch_of("1970-01-01T00:00:00.0001Z") == 1);
  CHECK(epoch_of("1970-01-01T00:00:00.001000000Z") == 1);
  CHECK(epoch_of("1970-01-01T00:00:00.0019Z") == 2);
}

TEST_CASE("malformed times are errors") {
  for (const char* text : {"", "yesterday", "2026-11-21", "2026-11-21T23:00:00",
                           "2026-11-21 23:00:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                           "2026-11-31T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T23:60:00Z",
                           "2026-11-21T23:00:60Z", "2026-11-21T23:00:00.Z", "2026-11-21T23:00:00+1",
                           "2026-11-21T23:00:00+24:00", "2026-11-21T23:00:00Zjunk", "-5",
                           "1969-12-31T23:59:59Z", "99999999999999999", "12ab"}) {
    auto t = parse_time(text);
    INFO("'" << text << "'");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::invalid_argument);
  }
}

TEST_CASE("times print as RFC 3339 in UTC and parse back") {
  CHECK(format_time(from_epoch_ms(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time(from_epoch_ms(1'795'302'000'250)) == "2026-11-21T23:00:00.250Z");
  for (std::int64_t ms : {std::int64_t{1}, std::int64_t{951'782'400'000}, max_deadline_ms}) {
    auto text = format_time(from_epoch_ms(ms));
    CHECK(epoch_of(text.c_str()) == ms);
  }
}
