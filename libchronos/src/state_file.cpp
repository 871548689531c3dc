#include "chronos/state_file.hpp"

#include <unordered_set>

#include <nlohmann/json.hpp>

#include "chronos/atomic_file.hpp"

namespace chronos {

namespace {

using json = nlohmann::json;

constexpr const char* format_name = "chronos-state";

json to_json(const timeout& t) {
  return json{{"token", t.token.str()},
              {"name", t.name},
              {"deadline_ms", to_epoch_ms(t.deadline)},
              {"payload", t.payload},
              {"interval_ms", t.interval.count()}};
}

void append_list(std::string& out, const char* key, const std::vector<timeout>& list) {
  out += ",\n\"";
  out += key;
  out += "\": [";
  const char* sep = "\n";
  for (const auto& t : list) {
    out += sep;
    out += to_json(t).dump();
    sep = ",\n";
  }
  out += "\n]";
}

failure corrupt(const std::string& where, const std::string& why) {
  return fail(errc::storage_failure, where + ": " + why);
}

// Reads an integer field within [lo, hi]; `fallback` when absent, if given.
outcome<std::int64_t> int_field(const json& obj, const std::string& where, const char* key,
                                std::int64_t lo, std::int64_t hi,
                                std::optional<std::int64_t> fallback = std::nullopt) {
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

outcome<timeout> timeout_from(const json& obj, const std::string& where) {
  if (!obj.is_object())
    return corrupt(where, "expected an object");
  auto tok_text = string_field(obj, where, "token", true);
  if (!tok_text)
    return tok_text.error();
  auto tok = token::parse(*tok_text);
  if (!tok)
    return corrupt(where + ".token", "malformed token \"" + *tok_text + "\"");
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

outcome<std::vector<timeout>> list_from(const json& doc, const char* key) {
  std::vector<timeout> list;
  auto it = doc.find(key);
  if (it == doc.end())
    return corrupt("top level", std::string{"missing field \""} + key + "\"");
  if (!it->is_array())
    return corrupt(key, "expected an array");
  std::unordered_set<token> seen;
  list.reserve(it->size());
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string where = std::string{key} + "[" + std::to_string(i) + "]";
    auto t = timeout_from((*it)[i], where);
    if (!t)
      return t.error();
    if (!seen.insert(t->token).second)
      return corrupt(where + ".token", "duplicate token " + t->token.str());
    list.push_back(std::move(*t));
  }
  return list;
}

} // namespace

outcome<std::string> encode(const snapshot& s) {
  try {
    std::string out = "{\"format\": \"";
    out += format_name;
    out += "\", \"version\": " + std::to_string(snapshot::format_version);
    out += ", \"saved_ms\": " + std::to_string(to_epoch_ms(s.saved_at));
    append_list(out, "timeouts", s.pending);
    append_list(out, "parked", s.parked);
    out += "\n}\n";
    return out;
  } catch (const json::exception& e) {
    // Only reachable with invalid UTF-8, which requests are checked against.
    return fail(errc::storage_failure, std::string{"cannot encode state: "} + e.what());
  }
}

outcome<snapshot> decode(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return corrupt("not valid JSON", e.what());
  }
  if (!doc.is_object())
    return corrupt("top level", "expected a JSON object");
  auto format = doc.find("format");
  if (format == doc.end() || *format != format_name)
    return corrupt("top level", "not a chronos state file (\"format\" is not \"chronos-state\")");
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer())
    return corrupt("top level", "missing or malformed \"version\"");
  if (*version != snapshot::format_version)
    return corrupt("top level", "unsupported version " + version->dump()
                                  + " (this build reads version "
                                  + std::to_string(snapshot::format_version) + ")");
  snapshot s;
  auto saved = int_field(doc, "top level", "saved_ms", 0, max_deadline_ms, 0);
  if (!saved)
    return saved.error();
  s.saved_at = from_epoch_ms(*saved);
  auto pending = list_from(doc, "timeouts");
  if (!pending)
    return pending.error();
  auto parked = list_from(doc, "parked");
  if (!parked)
    return parked.error();
  s.pending = std::move(*pending);
  s.parked = std::move(*parked);
  return s;
}

outcome<snapshot> load_state(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text)
    return fail(errc::storage_failure, "cannot read state file: " + text.error().detail);
  if (!*text)
    return snapshot{};
  auto s = decode(**text);
  if (!s)
    return fail(errc::storage_failure,
                "state file '" + path + "' is unusable: " + s.error().detail);
  return s;
}

status save_state(const std::string& path, const snapshot& s) {
  auto text = encode(s);
  if (!text)
    return text.error();
  return write_atomically(path, *text);
}

} // namespace chronos
