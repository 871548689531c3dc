#include "chronos/state_file.hpp"

#include <unordered_set>

#include <nlohmann/json.hpp>

#include "chronos/atomic_file.hpp"
#include "timeout_json.hpp"

namespace chronos {

namespace {

using json = nlohmann::json;
using detail::corrupt;
using detail::int_field;

constexpr const char* format_name = "chronos-state";

void append_list(std::string& out, const char* key, const std::vector<timeout>& list) {
  out += ",\n\"";
  out += key;
  out += "\": [";
  const char* sep = "\n";
  for (const auto& t : list) {
    out += sep;
    detail::append_json(out, t);
    sep = ",\n";
  }
  out += "\n]";
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
    auto t = detail::timeout_from_json((*it)[i], where);
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
    out += ", \"generation\": " + std::to_string(s.generation);
    append_list(out, "timeouts", s.pending);
    append_list(out, "parked", s.parked);
    out += "\n}\n";
    return out;
  } catch (const std::bad_alloc&) {
    return fail(errc::storage_failure, "cannot encode state: out of memory");
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
  auto generation = int_field(doc, "top level", "generation", 0, INT64_MAX, 0);
  if (!generation)
    return generation.error();
  s.generation = static_cast<std::uint64_t>(*generation);
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
