#pragma once

// The JSON form of one timeout, shared by the state file and the journal so
// that both read and write it the same way. Private to libchronos.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chronos/base/outcome.hpp"
#include "chronos/table/timeout.hpp"

namespace chronos::detail {

/// Appends `t` as a JSON object, keys in sorted order: the same text as
/// nlohmann's dump of the same object, several times faster (no DOM).
/// "misfire" is written only when it is not the default ("once"), "cron"
/// and "tz" only for a calendar timeout, "jitter_ms" and "delay_ms" only
/// with a jitter, "prev_ms" only once a recurring timeout has one, so files of timeouts without
/// them read the same in older builds.
void append_json(std::string& out, const timeout& t);

/// Appends `text` (valid UTF-8) as a JSON string literal.
void append_json_string(std::string& out, std::string_view text);

/// The fields of one stored timeout as read, before their checks. The token
/// is only parsed, so its text stays where the reader has it.
struct timeout_fields {
  std::optional<std::string_view> token;
  std::optional<std::string> name, payload, misfire, key, cron, tz;
  std::optional<std::int64_t> deadline_ms, interval_ms, jitter_ms, delay_ms, prev_ms;
};

/// The one set of rules for a stored timeout, in the state file and the journal
/// alike; `where()` names it in errors ("timeouts[3]"), and is only called for
/// one (a million entries need not build a million names).
outcome<timeout> make_timeout(timeout_fields f, const std::function<std::string()>& where);

/// The calendar of a stored timeout with a "cron" (and "tz") field, null
/// without one; the error of a cron expression or zone that does not parse.
outcome<std::shared_ptr<const cron_schedule>>
stored_calendar(const std::optional<std::string>& cron, const std::optional<std::string>& tz);

/// Reads a timeout; `where` names it in errors ("timeouts[3]").
outcome<timeout> timeout_from_json(const nlohmann::json& obj, const std::string& where);

/// Reads an integer field within [lo, hi]; `fallback` when absent, if given.
outcome<std::int64_t> int_field(const nlohmann::json& obj, const std::string& where,
                                const char* key, std::int64_t lo, std::int64_t hi,
                                std::optional<std::int64_t> fallback = std::nullopt);

/// A required string field.
outcome<std::string> string_field(const nlohmann::json& obj, const std::string& where,
                                  const char* key);

outcome<token> token_field(const nlohmann::json& obj, const std::string& where);

failure corrupt(const std::string& where, const std::string& why);

} // namespace chronos::detail
