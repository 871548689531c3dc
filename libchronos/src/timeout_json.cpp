#include "timeout_json.hpp"

namespace chronos::detail {

using json = nlohmann::json;

json to_json(const timeout& t) {
  return json{{"token", t.token.str()},
              {"name", t.name},
              {"deadline_ms", to_epoch_ms(t.deadline)},
              {"payload", t.payload},
              {"interval_ms", t.interval.count()}};
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

outcome<std::string> string_field(const json& obj, const std::string& where, const char* key,
                                  bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (!required)
      return std::string{};
    return corrupt(where, std::string{"missing field \""} + key + "\"");
  }
  if (!it->is_string())
    return corrupt(where + "." + key, "expected a string");
  return it->get<std::string>();
}

outcome<token> token_field(const json& obj, const std::string& where) {
  auto text = string_field(obj, where, "token", true);
  if (!text)
    return text.error();
  auto tok = token::parse(*text);
  if (!tok)
    return corrupt(where + ".token", "malformed token \"" + *text + "\"");
  return *tok;
}

outcome<timeout> timeout_from_json(const json& obj, const std::string& where) {
  if (!obj.is_object())
    return corrupt(where, "expected an object");
  auto tok = token_field(obj, where);
  if (!tok)
    return tok.error();
  auto name = string_field(obj, where, "name", true);
  if (!name)
    return name.error();
  if (name->empty())
    return corrupt(where + ".name", "empty name");
  auto payload = string_field(obj, where, "payload", false);
  if (!payload)
    return payload.error();
  auto deadline = int_field(obj, where, "deadline_ms", 0, max_deadline_ms);
  if (!deadline)
    return deadline.error();
  auto interval = int_field(obj, where, "interval_ms", 0, max_deadline_ms, 0);
  if (!interval)
    return interval.error();
  return timeout{from_epoch_ms(*deadline), *tok, std::move(*name), std::move(*payload),
                 millis{*interval}};
}

} // namespace chronos::detail
