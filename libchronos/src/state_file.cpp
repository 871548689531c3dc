#include "chronos/state_file.hpp"

#include "chronos/atomic_file.hpp"
#include "canonical_state_reader.hpp"
#include "mapped_file.hpp"
#include "state_reader.hpp"
#include "timeout_json.hpp"

namespace chronos {

namespace {

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

// About what `encode` writes: reserved at once, a million timeouts are not
// copied over and over as the text doubles.
std::size_t encoded_size(const snapshot& s) {
  constexpr std::size_t per_timeout = 112; // keys, deadline, interval, token
  std::size_t size = 256;
  for (const auto* list : {&s.pending, &s.parked})
    for (const auto& t : *list)
      size += per_timeout + t.name.size() + t.payload.size();
  return size;
}

} // namespace

outcome<std::string> encode(const snapshot& s) {
  try {
    std::string out;
    out.reserve(encoded_size(s));
    out += "{\"format\": \"";
    out += snapshot::format_name;
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
  if (auto s = detail::read_canonical_snapshot(text))
    return std::move(*s);
  return detail::read_snapshot(text);
}

outcome<snapshot> load_state(const std::string& path) {
  auto file = detail::mapped_file::open_if_exists(path);
  if (!file)
    return fail(errc::storage_failure, "cannot read state file: " + file.error().detail);
  if (!*file)
    return snapshot{};
  auto s = decode((*file)->text());
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
