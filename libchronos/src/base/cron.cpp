#include "chronos/base/cron.hpp"

// Zones through CCTZ (Debian's libcctz): it reads the system's tz database,
// and its lookup of a local time says whether that time was skipped or
// repeated and gives the instants around the transition, which is what the
// two DST rules need. Howard Hinnant's tz library would do too, but Debian
// ships it as headers whose tz.cpp each user compiles and configures.

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <array>
#include <cctype>
#include <charconv>
#include <deque>
#include <vector>

namespace chronos {

struct cron_schedule::zone_data {
  cctz::time_zone tz;
};

namespace {

using cctz::civil_day;
using cctz::civil_hour;
using cctz::civil_minute;
using cctz::civil_second;
using seconds_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

struct field_rule {
  const char* name;
  int low;
  int high;
  const char* const* names; // three-letter names of low, low + 1, ...; or null
  int name_count;
};

constexpr const char* month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<field_rule, 6> rules{{
  {"second", 0, 59, nullptr, 0},
  {"minute", 0, 59, nullptr, 0},
  {"hour", 0, 23, nullptr, 0},
  {"day of month", 1, 31, nullptr, 0},
  {"month", 1, 12, month_names, 12},
  {"day of week", 0, 7, weekday_names, 7}, // 7 is Sunday too
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> macros{{
  {"@yearly", "0 0 0 1 1 *"},
  {"@annually", "0 0 0 1 1 *"},
  {"@monthly", "0 0 0 1 * *"},
  {"@weekly", "0 0 0 * * 0"},
  {"@daily", "0 0 0 * * *"},
  {"@midnight", "0 0 0 * * *"},
  {"@hourly", "0 0 * * * *"},
}};

std::vector<std::string_view> split(std::string_view text, char by) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(by, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    const auto start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > start)
      out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool same_letters(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i])
      return false;
  return true;
}

// One value of a field: a number or a name.
outcome<int> value_of(std::string_view text, const field_rule& rule) {
  for (int i = 0; i < rule.name_count; ++i)
    if (same_letters(text, rule.names[i]))
      return rule.low + i;
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return fail(errc::invalid_argument, std::string{rule.name} + ": '" + std::string{text}
                                          + "' is not a number"
                                          + (rule.names ? " or a name" : ""));
  if (v < rule.low || v > rule.high)
    return fail(errc::invalid_argument, std::string{rule.name} + ": " + std::to_string(v)
                                          + " is outside " + std::to_string(rule.low) + "-"
                                          + std::to_string(rule.high));
  return v;
}

// The values a field's text names, as bits low..high.
outcome<std::vector<bool>> parse_field(std::string_view text, const field_rule& rule,
                                       bool any_allowed_as_question_mark) {
  std::vector<bool> bits(static_cast<std::size_t>(rule.high + 1), false);
  for (auto item : split(text, ',')) {
    const auto where = [&] { return std::string{rule.name} + " '" + std::string{item} + "'"; };
    if (item.empty())
      return fail(errc::invalid_argument, std::string{rule.name} + ": an empty item in '"
                                            + std::string{text} + "'");
    int step = 1;
    auto base = item;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      const auto step_text = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc{} || end != step_text.data() + step_text.size()
          || step < 1 || step > rule.high - rule.low + 1)
        return fail(errc::invalid_argument,
                    where() + ": the step must be 1-" + std::to_string(rule.high - rule.low + 1));
      base = item.substr(0, slash);
    }
    int from = rule.low;
    int to = rule.high;
    if (base == "*" || (any_allowed_as_question_mark && base == "?")) {
      // the whole range
    } else if (const auto dash = base.find('-'); dash != std::string_view::npos) {
      auto a = value_of(base.substr(0, dash), rule);
      if (!a)
        return a.error();
      auto b = value_of(base.substr(dash + 1), rule);
      if (!b)
        return b.error();
      if (*a > *b)
        return fail(errc::invalid_argument, where() + ": the range goes backwards");
      from = *a;
      to = *b;
    } else {
      auto v = value_of(base, rule);
      if (!v)
        return v.error();
      from = *v;
      to = item.find('/') == std::string_view::npos ? *v : rule.high; // `a/n`: a to the end
    }
    for (int v = from; v <= to; v += step)
      bits[static_cast<std::size_t>(v)] = true;
  }
  return bits;
}

template <std::size_t N>
std::bitset<N> to_bits(const std::vector<bool>& v) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N && i < v.size(); ++i)
    out[i] = v[i];
  return out;
}

// The first set bit at or after `from`, or -1.
template <std::size_t N>
int next_bit(const std::bitset<N>& bits, int from) {
  for (auto i = static_cast<std::size_t>(from); i < N; ++i)
    if (bits[i])
      return static_cast<int>(i);
  return -1;
}

// IANA names only: letters, digits, '_', '+', '-', in segments joined by
// '/'. A peer may send the name: it must not name a file outside the tz
// database.
bool plausible_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (auto segment : split(name, '/')) {
    if (segment.empty() || segment.front() == '-')
      return false;
    for (char c : segment)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-')
        return false;
  }
  return true;
}

constexpr int days_at_most[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// Whether some month of the schedule has one of its days (day-of-month
// alone decides: with a weekday restriction too, every week has a match).
bool some_day_exists(const cron_schedule::fields& f) {
  if (!f.days_restricted || f.weekdays_restricted)
    return true;
  for (int m = 1; m <= 12; ++m)
    if (f.months[static_cast<std::size_t>(m)])
      for (int d = 1; d <= days_at_most[m]; ++d)
        if (f.days[static_cast<std::size_t>(d)])
          return true;
  return false;
}

int sunday_first(cctz::weekday w) {
  // cctz counts from Monday; cron from Sunday.
  return (static_cast<int>(w) + 1) % 7;
}

bool day_matches(const cron_schedule::fields& f, const civil_day& d) {
  const bool by_date = f.days[static_cast<std::size_t>(d.day())];
  const bool by_weekday = f.weekdays[static_cast<std::size_t>(sunday_first(cctz::get_weekday(d)))];
  if (f.days_restricted && f.weekdays_restricted)
    return by_date || by_weekday;
  return (!f.days_restricted || by_date) && (!f.weekdays_restricted || by_weekday);
}

// The first local time at or after `c` that the fields match, or nullopt
// after the year 9999.
std::optional<civil_second> next_match(const cron_schedule::fields& f, civil_second c) {
  while (c.year() <= 9999) {
    if (!f.months[static_cast<std::size_t>(c.month())]) {
      const int m = next_bit(f.months, c.month() + 1);
      c = m < 0 ? civil_second(c.year() + 1, 1, 1) : civil_second(c.year(), m, 1);
      continue;
    }
    if (!day_matches(f, civil_day(c))) {
      c = civil_second(civil_day(c) + 1);
      continue;
    }
    if (!f.hours[static_cast<std::size_t>(c.hour())]) {
      const int h = next_bit(f.hours, c.hour() + 1);
      c = h < 0 ? civil_second(civil_day(c) + 1) : civil_second(c.year(), c.month(), c.day(), h);
      continue;
    }
    if (!f.minutes[static_cast<std::size_t>(c.minute())]) {
      const int m = next_bit(f.minutes, c.minute() + 1);
      c = m < 0 ? civil_second(civil_hour(c) + 1)
                : civil_second(c.year(), c.month(), c.day(), c.hour(), m);
      continue;
    }
    if (!f.seconds[static_cast<std::size_t>(c.second())]) {
      const int s = next_bit(f.seconds, c.second() + 1);
      c = s < 0 ? civil_second(civil_minute(c) + 1)
                : civil_second(c.year(), c.month(), c.day(), c.hour(), c.minute(), s);
      continue;
    }
    return c;
  }
  return std::nullopt;
}

} // namespace

cron_schedule::cron_schedule(std::string expression, std::string zone_name, fields f,
                             std::shared_ptr<const zone_data> zone)
  : expression_(std::move(expression)), zone_name_(std::move(zone_name)), fields_(f),
    zone_(std::move(zone)) {}

outcome<cron_schedule> cron_schedule::parse(std::string_view expression, std::string_view zone) {
  if (expression.size() > max_expression_bytes)
    return fail(errc::invalid_argument, "a cron expression longer than "
                                          + std::to_string(max_expression_bytes) + " bytes");
  auto text = expression;
  for (const auto& [macro, meaning] : macros)
    if (same_letters(expression, macro))
      text = meaning;
  if (!text.empty() && text.front() == '@' && text == expression)
    return fail(errc::invalid_argument,
                "unknown macro '" + std::string{expression}
                  + "' (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)");
  const auto parts = words(text);
  if (parts.size() != 6)
    return fail(errc::invalid_argument,
                "a cron expression has six fields (SECOND MINUTE HOUR DAY-OF-MONTH MONTH "
                "DAY-OF-WEEK), not "
                  + std::to_string(parts.size()));
  std::array<std::vector<bool>, 6> bits;
  for (std::size_t i = 0; i < 6; ++i) {
    const bool day_field = i == 3 || i == 5;
    auto parsed = parse_field(parts[i], rules[i], day_field);
    if (!parsed)
      return parsed.error();
    bits[i] = std::move(*parsed);
  }
  if (bits[5][7])
    bits[5][0] = true; // 7 is Sunday
  fields f;
  f.seconds = to_bits<60>(bits[0]);
  f.minutes = to_bits<60>(bits[1]);
  f.hours = to_bits<24>(bits[2]);
  f.days = to_bits<32>(bits[3]);
  f.months = to_bits<13>(bits[4]);
  f.weekdays = to_bits<7>(bits[5]);
  f.days_restricted = parts[3] != "*" && parts[3] != "?";
  f.weekdays_restricted = parts[5] != "*" && parts[5] != "?";
  if (!some_day_exists(f))
    return fail(errc::invalid_argument, "'" + std::string{expression}
                                          + "' never matches: none of its months has any of "
                                            "its days of the month");
  auto data = std::make_shared<zone_data>();
  std::string zone_name = zone.empty() ? "UTC" : std::string{zone};
  if (zone.empty()) {
    data->tz = cctz::utc_time_zone();
  } else if (!plausible_zone_name(zone) || !cctz::load_time_zone(zone_name, &data->tz)) {
    return fail(errc::invalid_argument, "unknown time zone '" + zone_name
                                          + "' (an IANA name such as Europe/Berlin)");
  }
  return cron_schedule{std::string{expression}, std::move(zone_name), f, std::move(data)};
}

std::optional<timestamp> cron_schedule::next_after(timestamp after) const {
  const auto& tz = zone_->tz;
  const auto from = std::chrono::floor<std::chrono::seconds>(after);
  auto candidate = tz.lookup(seconds_point{from.time_since_epoch()}).cs + 1;
  // Each pass either returns or moves past a local time whose first
  // occurrence has gone by (at most the repeated hour's matches).
  for (;;) {
    const auto local = next_match(fields_, candidate);
    if (!local)
      return std::nullopt;
    const auto found = tz.lookup(*local);
    const auto at = found.kind == cctz::time_zone::civil_lookup::SKIPPED ? found.trans : found.pre;
    const auto ms = std::chrono::time_point_cast<millis>(at);
    if (ms.time_since_epoch().count() > max_deadline_ms)
      return std::nullopt;
    if (ms > after)
      return timestamp{ms.time_since_epoch()};
    candidate = *local + 1;
  }
}

std::uint64_t cron_schedule::count_between(timestamp from, timestamp until,
                                           std::uint64_t cap) const {
  std::uint64_t n = 0;
  for (auto at = next_after(from - millis{1}); at && *at < until && n < cap; at = next_after(*at))
    ++n;
  return n;
}

std::vector<timestamp> cron_schedule::latest_before(timestamp from, timestamp until,
                                                    std::size_t n) const {
  if (n == 0 || from >= until)
    return {};
  // The first window would hold n instants of an every-second schedule;
  // sparser ones widen it fourfold until it holds n or reaches `from`.
  auto span = millis{1000} * static_cast<std::int64_t>(std::min<std::size_t>(n, 1u << 20));
  std::deque<timestamp> found;
  for (;;) {
    const auto start = until - from > span ? until - span : from;
    found.clear();
    for (auto at = next_after(start - millis{1}); at && *at < until; at = next_after(*at)) {
      found.push_back(*at);
      if (found.size() > n)
        found.pop_front();
    }
    if (found.size() == n || start == from)
      return {found.begin(), found.end()};
    span = std::min<millis>(span * 4, until - from); // no overflow: a span is < 2^49 ms
  }
}

} // namespace chronos
