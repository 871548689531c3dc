#include "timeout_json.hpp"

namespace chronos::detail {

using json = nlohmann::json;

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
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
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json(std::string& out, const timeout& t) {
  out += "{\"deadline_ms\":";
  out += std::to_string(to_epoch_ms(t.deadline));
  out += ",\"interval_ms\":";
  out += std::to_string(t.interval.count());
  out += ",\"name\":";
  append_json_string(out, t.name);
  out += ",\"payload\":";
  append_json_string(out, t.payload);
  out += ",\"token\":\"";
  out += t.token.str();
  out += "\"}";
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
