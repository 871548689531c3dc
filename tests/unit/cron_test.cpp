// Calendar schedules: the parser's rules and errors, and next_after against a
// brute-force model that walks absolute time minute by minute through three
// years in six zones (DST gaps and repeats in both hemispheres, a 45-minute
// offset), for chosen and for random expressions.

#include <catch2/catch.hpp>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <random>
#include <set>

#include "chronos/base/cron.hpp"

using namespace chronos;

namespace {

using seconds_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

cron_schedule must_parse(const std::string& expr, const std::string& zone = {}) {
  auto s = cron_schedule::parse(expr, zone);
  INFO(expr << " in '" << zone << "': " << (s ? "" : s.error().detail));
  REQUIRE(s);
  return *s;
}

std::string error_of(const std::string& expr, const std::string& zone = {}) {
  auto s = cron_schedule::parse(expr, zone);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::invalid_argument);
  return s.error().detail;
}

timestamp utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  const auto tp = cctz::convert(cctz::civil_second(y, mo, d, h, mi, s), cctz::utc_time_zone());
  return timestamp{std::chrono::duration_cast<millis>(tp.time_since_epoch())};
}

template <std::size_t N>
std::set<int> members(const std::bitset<N>& b) {
  std::set<int> out;
  for (std::size_t i = 0; i < N; ++i)
    if (b[i])
      out.insert(static_cast<int>(i));
  return out;
}

} // namespace

TEST_CASE("cron: fields take values, names, ranges, steps and lists") {
  const auto f = must_parse("*/20 5,10-12 9-17/4 1,15 JAN-mar,Dec MON-FRI").matching();
  CHECK(members(f.seconds) == std::set<int>{0, 20, 40});
  CHECK(members(f.minutes) == std::set<int>{5, 10, 11, 12});
  CHECK(members(f.hours) == std::set<int>{9, 13, 17});
  CHECK(members(f.days) == std::set<int>{1, 15});
  CHECK(members(f.months) == std::set<int>{1, 2, 3, 12});
  CHECK(members(f.weekdays) == std::set<int>{1, 2, 3, 4, 5});
  CHECK(f.days_restricted);
  CHECK(f.weekdays_restricted);

  const auto g = must_parse("30/10 * * ? * 5-7").matching();
  CHECK(members(g.seconds) == std::set<int>{30, 40, 50});
  CHECK(members(g.weekdays) == std::set<int>{0, 5, 6}); // 7 is Sunday
  CHECK_FALSE(g.days_restricted);
}

TEST_CASE("cron: macros are six-field expressions") {
  CHECK(must_parse("@hourly").matching().minutes == must_parse("0 0 * * * *").matching().minutes);
  const auto weekly = must_parse("@WEEKLY").matching();
  CHECK(members(weekly.weekdays) == std::set<int>{0});
  CHECK(members(weekly.hours) == std::set<int>{0});
  for (const char* m : {"@yearly", "@annually", "@monthly", "@daily", "@midnight"})
    CHECK(cron_schedule::parse(m));
  CHECK(error_of("@fortnightly").find("unknown macro '@fortnightly'") != std::string::npos);
}

TEST_CASE("cron: what is wrong is said, and where") {
  CHECK(error_of("* * * * *").find("six fields") != std::string::npos);
  CHECK(error_of("5 parsecs").find("six fields") != std::string::npos);
  CHECK(error_of("").find("not 0") != std::string::npos);
  CHECK(error_of("61 * * * * *") == "second: 61 is outside 0-59");
  CHECK(error_of("0 0 24 * * *") == "hour: 24 is outside 0-23");
  CHECK(error_of("0 0 0 0 * *") == "day of month: 0 is outside 1-31");
  CHECK(error_of("0 0 0 * 13 *") == "month: 13 is outside 1-12");
  CHECK(error_of("0 0 0 * * 8") == "day of week: 8 is outside 0-7");
  CHECK(error_of("0 0 0 * FOO *") == "month: 'FOO' is not a number or a name");
  CHECK(error_of("x * * * * *") == "second: 'x' is not a number");
  CHECK(error_of("0 5-2 * * * *") == "minute '5-2': the range goes backwards");
  CHECK(error_of("*/0 * * * * *") == "second '*/0': the step must be 1-60");
  CHECK(error_of("*/61 * * * * *") == "second '*/61': the step must be 1-60");
  CHECK(error_of("1,,2 * * * * *").find("an empty item") != std::string::npos);
  CHECK(error_of("0 0 0 1 * ?-3") == "day of week: '?' is not a number or a name");
}

TEST_CASE("cron: an expression that never matches is refused") {
  CHECK(error_of("0 0 0 30 2 *").find("never matches") != std::string::npos);
  CHECK(error_of("0 0 0 31 4,6,9,11 *").find("never matches") != std::string::npos);
  CHECK(cron_schedule::parse("0 0 0 29 2 *"));     // leap years
  CHECK(cron_schedule::parse("0 0 0 30 2 MON"));   // either day field
  const auto leap = must_parse("0 0 0 29 2 *");
  CHECK(leap.next_after(utc(2026, 1, 1)) == utc(2028, 2, 29));
}

TEST_CASE("cron: zones are IANA names from the system's database, and nothing else") {
  CHECK(must_parse("@daily").zone() == "UTC");
  CHECK(must_parse("@daily", "Europe/Berlin").zone() == "Europe/Berlin");
  CHECK(must_parse("@daily", "Etc/GMT+5").zone() == "Etc/GMT+5");
  for (const char* bad : {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
                          "Europe/../Europe/Berlin", "Europe//Berlin", "-x", "Europe/Berlin\n"})
    CHECK(error_of("@daily", bad).find("unknown time zone") != std::string::npos);
}

TEST_CASE("cron: the next occurrence, in UTC and in a zone") {
  const auto weekdays = must_parse("0 30 9 * * MON-FRI");
  // Saturday 2027-01-02, 10:00: next Monday.
  CHECK(weekdays.next_after(utc(2027, 1, 2, 10)) == utc(2027, 1, 4, 9, 30));
  // Strictly after: at the instant itself, the next day's.
  CHECK(weekdays.next_after(utc(2027, 1, 4, 9, 30)) == utc(2027, 1, 5, 9, 30));
  CHECK(weekdays.next_after(utc(2027, 1, 4, 9, 29, 59) + millis{999}) == utc(2027, 1, 4, 9, 30));
  // Either day field when both are restricted: the 13th, or any Friday.
  const auto either = must_parse("0 0 0 13 * FRI");
  CHECK(either.next_after(utc(2027, 8, 7)) == utc(2027, 8, 13)); // a Friday the 13th
  CHECK(either.next_after(utc(2027, 8, 13)) == utc(2027, 8, 20));
  // Kolkata is UTC+5:30 all year.
  CHECK(must_parse("0 0 9 * * *", "Asia/Kolkata").next_after(utc(2027, 6, 1))
        == utc(2027, 6, 1, 3, 30));
  // Nothing after the latest deadline chronos accepts.
  CHECK_FALSE(must_parse("0 0 0 1 1 *").next_after(utc(9999, 6, 1)));
}

TEST_CASE("cron: a local time in a DST gap fires at the gap's end, a repeated one once") {
  // Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
  const auto half_past_two = must_parse("0 30 2 * * *", "Europe/Berlin");
  CHECK(half_past_two.next_after(utc(2027, 3, 27, 12)) == utc(2027, 3, 28, 1));
  CHECK(half_past_two.next_after(utc(2027, 3, 28, 1)) == utc(2027, 3, 29, 0, 30));
  // Every minute: the whole gap and 03:00 itself are one firing, at 03:00.
  const auto minutely = must_parse("0 * * * * *", "Europe/Berlin");
  CHECK(minutely.next_after(utc(2027, 3, 28, 0, 59)) == utc(2027, 3, 28, 1));
  CHECK(minutely.next_after(utc(2027, 3, 28, 1)) == utc(2027, 3, 28, 1, 1));
  // 2027-10-31: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice
  // (00:30 and 01:30 UTC) and fires at the first.
  CHECK(half_past_two.next_after(utc(2027, 10, 30, 12)) == utc(2027, 10, 31, 0, 30));
  CHECK(half_past_two.next_after(utc(2027, 10, 31, 0, 30)) == utc(2027, 11, 1, 1, 30));
  // Every minute through the repeat: nothing in the hour's second pass.
  CHECK(minutely.next_after(utc(2027, 10, 31, 0, 59)) == utc(2027, 10, 31, 2));
}

namespace {

// A cron schedule as the model sees it: its fields, and the rules of cron
// spelled out as plainly as possible.
struct model {
  cron_schedule::fields f;

  bool day_matches(const cctz::civil_second& c, int weekday) const {
    const bool by_date = f.days[static_cast<std::size_t>(c.day())];
    const bool by_weekday = f.weekdays[static_cast<std::size_t>(weekday)];
    if (f.days_restricted && f.weekdays_restricted)
      return by_date || by_weekday;
    if (f.days_restricted)
      return by_date;
    if (f.weekdays_restricted)
      return by_weekday;
    return true;
  }

  // Everything but the second.
  bool minute_matches(const cctz::civil_second& c, int weekday) const {
    return day_matches(c, weekday) && f.months[static_cast<std::size_t>(c.month())]
           && f.hours[static_cast<std::size_t>(c.hour())]
           && f.minutes[static_cast<std::size_t>(c.minute())];
  }

  bool matches(const cctz::civil_second& c) const {
    const int weekday = (static_cast<int>(cctz::get_weekday(cctz::civil_day{c})) + 1) % 7;
    return minute_matches(c, weekday) && f.seconds[static_cast<std::size_t>(c.second())];
  }
};

std::int64_t seconds_of(seconds_point t) { return t.time_since_epoch().count(); }

// Every instant in [from, to) at which each schedule fires, by walking every
// minute: a matching local second fires when it occurs for the first time;
// local seconds that a transition skips fire at the transition's instant.
std::vector<std::vector<std::int64_t>> walk(const cctz::time_zone& tz, const std::vector<model>& ms,
                                         seconds_point from, seconds_point to) {
  std::vector<std::vector<std::int64_t>> fired(ms.size());
  auto before = tz.lookup(from - std::chrono::seconds{60}).cs;
  for (auto t = from; t < to; t += std::chrono::seconds{60}) {
    const auto local = tz.lookup(t).cs;
    if (local - before > 60) // a gap: local seconds [before + 60, local) never occur
      for (auto skipped = before + 60; skipped < local; ++skipped)
        for (std::size_t i = 0; i < ms.size(); ++i)
          if (ms[i].matches(skipped))
            fired[i].push_back(seconds_of(t));
    // Offsets here are whole minutes, so a minute's local seconds are its
    // local minute's.
    const int weekday = (static_cast<int>(cctz::get_weekday(cctz::civil_day{local})) + 1) % 7;
    for (std::size_t i = 0; i < ms.size(); ++i) {
      if (!ms[i].minute_matches(local, weekday))
        continue;
      for (int s = 0; s < 60; ++s) {
        if (!ms[i].f.seconds[static_cast<std::size_t>(s)])
          continue;
        const auto c = local + s;
        const auto at = t + std::chrono::seconds{s};
        const auto occurrences = tz.lookup(c);
        if (occurrences.kind != cctz::time_zone::civil_lookup::REPEATED || occurrences.pre == at)
          fired[i].push_back(seconds_of(at)); // its first occurrence
      }
    }
    before = local;
  }
  for (auto& f : fired) { // a gap's firing and its end's own are one
    std::sort(f.begin(), f.end());
    f.erase(std::unique(f.begin(), f.end()), f.end());
  }
  return fired;
}

// Every instant in [from, to) that next_after names, one after the other;
// each must be later than the one before (checked once, not per instant:
// there are millions).
std::vector<std::int64_t> evaluate(const cron_schedule& s, seconds_point from,
                                   seconds_point to) {
  std::vector<std::int64_t> out;
  auto at = timestamp{std::chrono::duration_cast<millis>(from.time_since_epoch())} - millis{1};
  bool always_later = true;
  for (;;) {
    const auto next = s.next_after(at);
    if (!next)
      FAIL("no next occurrence after " << to_epoch_ms(at));
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(next->time_since_epoch());
    if (secs.count() >= seconds_of(to))
      break;
    always_later = always_later && *next > at;
    out.push_back(secs.count());
    at = *next;
  }
  CHECK(always_later);
  return out;
}

// Whether a random field may cover most of its range ('*', '*/1'): not for
// minutes, or some schedules would fire a million times in three years.
enum class density { any, sparse };

// A random field within [low, high]: '*', a value, a range, a step, a list.
std::string random_field(std::mt19937_64& rng, int low, int high, density d = density::any) {
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>{a, b}(rng); };
  std::string out;
  const int items = pick(1, 3);
  for (int i = 0; i < items; ++i) {
    if (i)
      out += ',';
    const int a = pick(low, high);
    const int b = d == density::sparse ? std::min(high, a + pick(0, 3)) : pick(a, high);
    switch (d == density::sparse ? pick(1, 2) : pick(0, 4)) {
      case 0: out += "*"; break;
      case 1: out += std::to_string(a); break;
      case 2: out += std::to_string(a) + "-" + std::to_string(b); break;
      case 3: out += "*/" + std::to_string(pick(1, high - low + 1)); break;
      default: out += std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(pick(1, 5));
    }
  }
  return out;
}

} // namespace

TEST_CASE("cron: next_after agrees with a minute-by-minute walk of three years, in six zones") {
  const std::vector<std::string> chosen{
    "0 0 9 * * MON-FRI",   "0 30 2 * * *",     "0 */15 * * * *",    "30 59 1,2,3 * * *",
    "0 0 0 29 2 *",        "0 45 2 * * SUN",   "0 0 12 1-7 * MON",  "15,45 * 2 * * *",
    "0 0,30 0-3 * 3,4,9,10,11 *", "@daily",    "0 15 3 * * *",
  };
  std::mt19937_64 rng{20271031};
  std::vector<std::string> random;
  for (int i = 0; i < 12; ++i) {
    // Seconds kept to a few values, hours around the transitions.
    random.push_back(std::to_string(std::uniform_int_distribution<int>{0, 59}(rng)) + " "
                     + random_field(rng, 0, 59, density::sparse) + " "
                     + random_field(rng, 0, 5) + " "
                     + random_field(rng, 1, 31) + " " + random_field(rng, 1, 12) + " "
                     + random_field(rng, 0, 6));
  }
  const auto from = seconds_point{std::chrono::seconds{1767225600}}; // 2026-01-01
  const auto to = seconds_point{std::chrono::seconds{1861920000}};   // 2029-01-01
  for (const char* zone_name : {"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney",
                                "Asia/Kolkata", "Pacific/Chatham"}) {
    cctz::time_zone tz;
    REQUIRE(cctz::load_time_zone(zone_name, &tz));
    std::vector<cron_schedule> schedules;
    std::vector<model> models;
    for (const auto& list : {chosen, random})
      for (const auto& expr : list) {
        auto s = cron_schedule::parse(expr, zone_name);
        if (!s) // a random one that never matches
          continue;
        models.push_back({s->matching()});
        schedules.push_back(std::move(*s));
      }
    const auto expected = walk(tz, models, from, to);
    for (std::size_t i = 0; i < schedules.size(); ++i) {
      INFO(schedules[i].expression() << " in " << zone_name);
      const auto got = evaluate(schedules[i], from, to);
      const auto& want = expected[i];
      CHECK(got.size() == want.size());
      // The first instant where they part, if any (not all of them: millions).
      const auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
      INFO("first difference: next_after " << (g == got.end() ? -1 : *g) << ", the walk "
                                           << (w == want.end() ? -1 : *w) << " (s since 1970)");
      CHECK((g == got.end() && w == want.end()));
    }
  }
}

// count_between walks forward and latest_before searches back in growing
// windows: both against the plain list of every instant in the span.
TEST_CASE("cron: counting and the latest instants of a span agree with a plain walk") {
  struct span_case {
    const char* expr;
    const char* zone;
    timestamp from, until;
  };
  const std::vector<span_case> cases{
    {"*/10 * * * * *", "UTC", utc(2027, 1, 1), utc(2027, 1, 1, 1)},
    {"0 0 9,17 * * MON-FRI", "America/New_York", utc(2027, 3, 1), utc(2027, 4, 1)},
    {"0 30 2 * * *", "Europe/Berlin", utc(2027, 3, 20), utc(2027, 11, 5)},
    {"0 0 0 29 2 *", "UTC", utc(2026, 1, 1), utc(2040, 1, 1)},
    {"* * 9 * * *", "Pacific/Chatham", utc(2027, 4, 1), utc(2027, 4, 4)},
    // Bounds on instants, odd milliseconds: [from, until) exactly.
    {"0 * * * * *", "UTC", utc(2027, 1, 1, 0, 1), utc(2027, 1, 1, 0, 5)},
    {"0 * * * * *", "UTC", utc(2027, 1, 1, 0, 1) + millis{1}, utc(2027, 1, 1, 0, 5) + millis{1}},
  };
  for (const auto& c : cases) {
    const auto s = must_parse(c.expr, c.zone);
    std::vector<timestamp> all;
    for (auto at = s.next_after(c.from - millis{1}); at && *at < c.until; at = s.next_after(*at))
      all.push_back(*at);
    INFO(c.expr << " in " << c.zone << ": " << all.size() << " instants");
    CHECK(s.count_between(c.from, c.until, UINT64_MAX) == all.size());
    CHECK(s.count_between(c.from, c.until, 3) == std::min<std::size_t>(3, all.size()));
    for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{1000},
                          all.size(), all.size() + 5}) {
      INFO("n = " << n);
      const auto first = all.size() > n ? all.end() - static_cast<std::ptrdiff_t>(n) : all.begin();
      CHECK(s.latest_before(c.from, c.until, n) == std::vector<timestamp>(first, all.end()));
    }
    CHECK(s.latest_before(c.until, c.from, 5).empty());
    CHECK(s.latest_before(c.from, c.until, 0).empty());
  }
}
