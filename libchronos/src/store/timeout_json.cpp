#include "store/timeout_json.hpp"

#include <charconv>
#include <cstring>

#include "base/hex.hpp"
#include "store/json_plain.hpp"

namespace chronos::detail {

using json = nlohmann::json;

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  // Names and payloads seldom need escapes: copy the clean runs whole.
  for (std::size_t clean = 0; !text.empty(); text.remove_prefix(clean)) {
    clean = plain_prefix(text);
    out.append(text.data(), clean);
    if (clean == text.size())
      break;
    const char c = text[clean++];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex_pair(static_cast<unsigned char>(c));
    }
  }
  out += '"';
}

void append_json(std::string& out, const timeout& t) {
  // The keys and numbers go through a buffer on the stack, in one append (a
  // state file of a million timeouts made millions of small ones, and a
  // temporary string for each number).
  constexpr std::size_t digits = 20; // of any int64
  char head[4 * (16 + digits)];
  char* end = head;
  const auto put = [&end](std::string_view key) {
    std::memcpy(end, key.data(), key.size());
    end += key.size();
  };
  const auto put_integer = [&end](std::int64_t v) { end = std::to_chars(end, end + digits, v).ptr; };
  if (t.calendar) {
    out += "{\"cron\":";
    append_json_string(out, t.calendar->expression());
    put(",\"deadline_ms\":");
  } else {
    put("{\"deadline_ms\":");
  }
  put_integer(to_epoch_ms(t.deadline));
  if (t.jitter.count() > 0) {
    put(",\"delay_ms\":");
    put_integer(t.delay.count());
  }
  put(",\"interval_ms\":");
  put_integer(t.interval.count());
  if (t.jitter.count() > 0) {
    put(",\"jitter_ms\":");
    put_integer(t.jitter.count());
  }
  out.append(head, static_cast<std::size_t>(end - head));
  if (!t.key.empty()) {
    out += ",\"key\":";
    append_json_string(out, t.key);
  }
  if (t.misfire != misfire_policy::once) {
    out += ",\"misfire\":\"";
    out += to_string(t.misfire);
    out += '"';
  }
  out += ",\"name\":";
  append_json_string(out, t.name);
  out += ",\"payload\":";
  append_json_string(out, t.payload);
  if (t.prev != timestamp{}) {
    out += ",\"prev_ms\":";
    out += std::to_string(to_epoch_ms(t.prev));
  }
  out += ",\"token\":\"";
  t.token.append_to(out);
  out += '"';
  if (t.calendar) {
    out += ",\"tz\":";
    append_json_string(out, t.calendar->zone());
  }
  out += '}';
}

// Timeouts of one calendar follow each other in a file (they were made
// together, or interned together): the last one parsed is kept. Readers of
// one file run on one thread; a thread's own copy is all the sharing needed.
outcome<std::shared_ptr<const cron_schedule>>
stored_calendar(const std::optional<std::string>& cron, const std::optional<std::string>& tz) {
  if (!cron)
    return std::shared_ptr<const cron_schedule>{};
  thread_local std::shared_ptr<const cron_schedule> last;
  const std::string_view zone = tz ? std::string_view{*tz} : std::string_view{};
  if (last && last->expression() == *cron && last->zone() == (zone.empty() ? "UTC" : zone))
    return last;
  auto parsed = cron_schedule::parse(*cron, zone);
  if (!parsed)
    return parsed.error();
  last = std::make_shared<const cron_schedule>(std::move(*parsed));
  return last;
}

failure corrupt(const std::string& where, const std::string& why) {
  return fail(errc::storage_failure, where + ": " + why);
}

outcome<std::int64_t> int_field(const json& obj, const std::string& where, const char* key,
                                std::int64_t lo, std::int64_t hi,
                                std::optional<std::int64_t> fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (fallback)
      return *fallback;
    return corrupt(where, std::string{"missing field \""} + key + "\"");
  }
  if (!it->is_number_integer())
    return corrupt(where + "." + key, "expected an integer");
  auto value = it->get<std::int64_t>();
  if (value < lo || value > hi)
    return corrupt(where + "." + key, "out of range");
  return value;
}

outcome<std::string> string_field(const json& obj, const std::string& where, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end())
    return corrupt(where, std::string{"missing field \""} + key + "\"");
  if (!it->is_string())
    return corrupt(where + "." + key, "expected a string");
  return it->get<std::string>();
}

outcome<token> token_field(const json& obj, const std::string& where) {
  auto text = string_field(obj, where, "token");
  if (!text)
    return text.error();
  auto tok = token::parse(*text);
  if (!tok)
    return corrupt(where + ".token", "malformed token \"" + *text + "\"");
  return *tok;
}

outcome<timeout> make_timeout(timeout_fields f, const std::function<std::string()>& where) {
  if (!f.token)
    return corrupt(where(), "missing field \"token\"");
  auto tok = token::parse(*f.token);
  if (!tok)
    return corrupt(where() + ".token", "malformed token \"" + std::string{*f.token} + "\"");
  if (!f.name)
    return corrupt(where(), "missing field \"name\"");
  if (f.name->empty())
    return corrupt(where() + ".name", "empty name");
  if (!f.deadline_ms)
    return corrupt(where(), "missing field \"deadline_ms\"");
  if (*f.deadline_ms < 0 || *f.deadline_ms > max_deadline_ms)
    return corrupt(where() + ".deadline_ms", "out of range");
  const auto interval = f.interval_ms.value_or(0);
  if (interval < 0 || interval > max_deadline_ms)
    return corrupt(where() + ".interval_ms", "out of range");
  const auto misfire = f.misfire ? parse_misfire(*f.misfire) : misfire_policy::once;
  if (!misfire)
    return corrupt(where() + ".misfire", "unknown misfire policy \"" + *f.misfire + "\"");
  if (*misfire != misfire_policy::once && interval == 0 && !f.cron)
    return corrupt(where() + ".misfire", "a misfire policy on a one-shot timeout");
  if (f.tz && !f.cron)
    return corrupt(where() + ".tz", "a time zone without a calendar schedule");
  auto calendar = stored_calendar(f.cron, f.tz);
  if (!calendar)
    return corrupt(where() + ".cron", calendar.error().detail);
  if (*calendar && interval != 0)
    return corrupt(where() + ".cron", "a calendar schedule and a repeat interval");
  const auto jitter = f.jitter_ms.value_or(0);
  if (jitter < 0 || jitter > max_jitter.count())
    return corrupt(where() + ".jitter_ms", "out of range");
  const auto delay = f.delay_ms.value_or(0);
  if (delay < 0 || (jitter > 0 && delay >= jitter) || (jitter == 0 && delay != 0))
    return corrupt(where() + ".delay_ms", "out of range (0 to the jitter, less)");
  if (*f.deadline_ms > max_deadline_ms - delay)
    return corrupt(where() + ".delay_ms", "fires after 9999-12-31");
  const auto prev = f.prev_ms.value_or(0);
  if (prev < 0 || prev > max_deadline_ms)
    return corrupt(where() + ".prev_ms", "out of range");
  if (prev != 0 && interval == 0 && !*calendar)
    return corrupt(where() + ".prev_ms", "a previous deadline on a one-shot timeout");
  return timeout{from_epoch_ms(*f.deadline_ms),     *tok,
                 std::move(*f.name),                std::move(f.payload).value_or(""),
                 millis{interval},                  *misfire,
                 std::move(f.key).value_or(""),     std::move(*calendar),
                 millis{jitter},                    millis{delay},
                 from_epoch_ms(prev)};
}

outcome<timeout> timeout_from_json(const json& obj, const std::string& where) {
  if (!obj.is_object())
    return corrupt(where, "expected an object");
  // A string field's text, null when the field is absent.
  const auto text_of = [&](const char* key) -> outcome<const std::string*> {
    auto it = obj.find(key);
    if (it == obj.end())
      return static_cast<const std::string*>(nullptr);
    if (!it->is_string())
      return corrupt(where + "." + key, "expected a string");
    return &it->get_ref<const std::string&>();
  };
  timeout_fields f;
  auto tok = text_of("token");
  if (!tok)
    return tok.error();
  if (*tok)
    f.token = **tok;
  for (auto [key, field] :
       {std::pair{"name", &f.name}, std::pair{"payload", &f.payload},
        std::pair{"misfire", &f.misfire}, std::pair{"key", &f.key}, std::pair{"cron", &f.cron},
        std::pair{"tz", &f.tz}}) {
    auto text = text_of(key);
    if (!text)
      return text.error();
    if (*text)
      *field = **text;
  }
  for (auto [key, field] :
       {std::pair{"deadline_ms", &f.deadline_ms}, std::pair{"interval_ms", &f.interval_ms},
        std::pair{"jitter_ms", &f.jitter_ms}, std::pair{"delay_ms", &f.delay_ms},
        std::pair{"prev_ms", &f.prev_ms}}) {
    auto it = obj.find(key);
    if (it == obj.end())
      continue;
    if (!it->is_number_integer())
      return corrupt(where + "." + key, "expected an integer");
    // Past INT64_MAX is out of range anyway; do not let it wrap to negative.
    *field = it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX
               ? INT64_MAX
               : it->get<std::int64_t>();
  }
  return make_timeout(std::move(f), [&where] { return where; });
}

} // namespace chronos::detail
