#include "chronos/base/duration.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace chronos {

namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

failure bad(std::string_view what, std::string_view text, std::string_view why) {
  return fail(errc::invalid_argument,
              std::string{what} + " '" + std::string{text} + "': " + std::string{why});
}

struct unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Longest suffix first so "ms" is not read as "m" followed by garbage.
constexpr std::array<unit, 5> units{{
  {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", ms_per_day}}};

std::optional<unit> split_unit(std::string_view text, std::string_view& number) {
  for (const auto& u : units) {
    if (text.size() > u.suffix.size()
        && text.substr(text.size() - u.suffix.size()) == u.suffix) {
      number = text.substr(0, text.size() - u.suffix.size());
      return u;
    }
  }
  return std::nullopt;
}

// Reads exactly `n` digits at `pos`, advancing it.
std::optional<int> read_fixed(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size())
    return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (!is_digit(c))
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view chars) {
  if (pos < text.size() && chars.find(text[pos]) != std::string_view::npos) {
    ++pos;
    return true;
  }
  return false;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t year;
  unsigned month, day;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

outcome<timestamp> parse_epoch_ms(std::string_view text) {
  if (text.size() > 15)
    return bad("time", text, "out of range (years 1970 to 9999)");
  std::int64_t ms = 0;
  for (char c : text)
    ms = ms * 10 + (c - '0');
  if (ms > max_deadline_ms)
    return bad("time", text, "out of range (years 1970 to 9999)");
  return from_epoch_ms(ms);
}

// Reads ".fff..." (any number of digits) as milliseconds, rounding up.
std::optional<std::int64_t> read_fraction_ms(std::string_view text, std::size_t& pos) {
  std::int64_t ms = 0;
  std::size_t digits = 0;
  bool remainder = false;
  for (; pos < text.size() && is_digit(text[pos]); ++pos, ++digits) {
    if (digits < 3)
      ms = ms * 10 + (text[pos] - '0');
    else if (text[pos] != '0')
      remainder = true;
  }
  if (digits == 0)
    return std::nullopt;
  for (std::size_t i = digits; i < 3; ++i)
    ms *= 10;
  return ms + (remainder ? 1 : 0);
}

outcome<timestamp> parse_rfc3339(std::string_view text) {
  const char* shape = "expected RFC 3339 like 2026-11-21T23:00:00.250Z, or epoch milliseconds";
  std::size_t pos = 0;
  auto year = read_fixed(text, pos, 4);
  bool ok = year && expect(text, pos, "-");
  auto month = ok ? read_fixed(text, pos, 2) : std::nullopt;
  ok = month && expect(text, pos, "-");
  auto day = ok ? read_fixed(text, pos, 2) : std::nullopt;
  ok = day && expect(text, pos, "Tt");
  auto hour = ok ? read_fixed(text, pos, 2) : std::nullopt;
  ok = hour && expect(text, pos, ":");
  auto minute = ok ? read_fixed(text, pos, 2) : std::nullopt;
  ok = minute && expect(text, pos, ":");
  auto second = ok ? read_fixed(text, pos, 2) : std::nullopt;
  if (!second)
    return bad("time", text, shape);
  std::int64_t frac_ms = 0;
  if (expect(text, pos, ".")) {
    auto frac = read_fraction_ms(text, pos);
    if (!frac)
      return bad("time", text, "missing digits after the decimal point");
    frac_ms = *frac;
  }
  std::int64_t offset_min = 0;
  if (!expect(text, pos, "Zz")) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-'))
      return bad("time", text, "missing time zone (Z or +HH:MM)");
    const int sign = text[pos++] == '-' ? -1 : 1;
    auto off_h = read_fixed(text, pos, 2);
    auto off_m = off_h && expect(text, pos, ":") ? read_fixed(text, pos, 2) : std::nullopt;
    if (!off_m || *off_h > 23 || *off_m > 59)
      return bad("time", text, "malformed time zone offset (expected +HH:MM)");
    offset_min = sign * (*off_h * 60 + *off_m);
  }
  if (pos != text.size())
    return bad("time", text, "unexpected characters after the time");
  if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month))
    return bad("time", text, "no such date");
  if (*hour > 23 || *minute > 59 || *second > 59)
    return bad("time", text, "no such time of day (leap seconds are not accepted)");
  const std::int64_t days = days_from_civil(*year, static_cast<unsigned>(*month),
                                            static_cast<unsigned>(*day));
  const std::int64_t ms = days * ms_per_day
                          + ((*hour * 60 + *minute - offset_min) * 60 + *second) * 1000
                          + frac_ms;
  if (ms < 0 || ms > max_deadline_ms)
    return bad("time", text, "out of range (years 1970 to 9999)");
  return from_epoch_ms(ms);
}

} // namespace

outcome<millis> parse_duration(std::string_view text) {
  if (text.empty())
    return bad("duration", text, "empty");
  std::string_view number;
  auto u = split_unit(text, number);
  if (!u)
    return bad("duration", text, "expected a number and a unit (ms, s, m, h, d), like 250ms or 1.5s");
  if (number[0] == '-')
    return bad("duration", text, "must not be negative");
  std::size_t pos = 0;
  std::int64_t whole = 0;
  for (; pos < number.size() && is_digit(number[pos]); ++pos) {
    whole = whole * 10 + (number[pos] - '0');
    if (whole > max_deadline_ms)
      return bad("duration", text, "too large");
  }
  if (pos == 0)
    return bad("duration", text, "expected a number before the unit");
  // Exact decimal arithmetic: the fraction is numerator / 10^digits.
  std::int64_t numerator = 0;
  std::int64_t denominator = 1;
  if (pos < number.size() && number[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    for (; pos < number.size() && is_digit(number[pos]) && pos - start < 9; ++pos) {
      numerator = numerator * 10 + (number[pos] - '0');
      denominator *= 10;
    }
    if (pos == start)
      return bad("duration", text, "missing digits after the decimal point");
  }
  if (pos != number.size())
    return bad("duration", text, "expected a number and a unit (ms, s, m, h, d), like 250ms or 1.5s");
  if (whole > max_deadline_ms / u->ms)
    return bad("duration", text, "too large");
  if ((numerator * u->ms) % denominator != 0)
    return bad("duration", text, "not a whole number of milliseconds");
  return millis{whole * u->ms + numerator * u->ms / denominator};
}

std::string format_duration(millis d) {
  for (auto i = units.size(); i-- > 1;) {
    if (d.count() != 0 && d.count() % units[i].ms == 0)
      return std::to_string(d.count() / units[i].ms) + std::string{units[i].suffix};
  }
  return std::to_string(d.count()) + "ms";
}

outcome<timestamp> parse_time(std::string_view text) {
  if (text.empty())
    return bad("time", text, "empty");
  bool all_digits = true;
  for (char c : text)
    all_digits = all_digits && is_digit(c);
  return all_digits ? parse_epoch_ms(text) : parse_rfc3339(text);
}

std::string format_time(timestamp t) {
  const std::int64_t ms = to_epoch_ms(t);
  std::int64_t days = ms / ms_per_day;
  std::int64_t rest = ms % ms_per_day;
  if (rest < 0) {
    rest += ms_per_day;
    --days;
  }
  const civil date = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<long long>(rest / 3'600'000),
                static_cast<long long>(rest / 60'000 % 60),
                static_cast<long long>(rest / 1000 % 60), static_cast<long long>(rest % 1000));
  return buf;
}

} // namespace chronos
