#include "store/canonical_state_reader.hpp"

#include <cstring>

#include "store/canonical_json.hpp"
#include "store/line_count.hpp"
#include "store/state_checksum.hpp"
#include "table/distinct_tokens.hpp"

namespace chronos::detail {

namespace {

// `"key": [` then entries one a line, then `\n]`, each handed to `into`.
// One it refuses (a duplicate) is the general reader's to report.
bool list(canonical_cursor& in, std::string_view key, snapshot_list to, snapshot_sink& into) {
  in.expect("\"");
  in.expect(key);
  in.expect("\": [");
  const char* sep = "\n";
  while (in.ok() && !in.peek("\n]")) {
    in.expect(sep);
    auto t = canonical_timeout(in);
    if (!t || !into.add(std::move(*t), to))
      return false;
    sep = ",\n";
  }
  in.expect("\n]");
  return in.ok();
}

} // namespace

std::optional<std::uint64_t> read_canonical_snapshot(std::string_view text, snapshot_sink& into) {
  const auto checked = check_checksum(text);
  if (checked.result == checksum_check::verdict::differs)
    return std::nullopt;
  const bool trailer = checked.result == checksum_check::verdict::matches;
  canonical_cursor in{checked.body};
  in.expect("{\"format\": \"");
  in.expect(state_file_format::name);
  in.expect("\", \"version\": ");
  if (in.integer() != state_file_format::version)
    return std::nullopt;
  in.expect(", \"saved_ms\": ");
  const auto saved_ms = in.integer();
  in.expect(", \"generation\": ");
  const auto generation = in.integer();
  in.expect(",\n");
  if (!in.ok() || saved_ms < 0 || saved_ms > max_deadline_ms || generation < 0)
    return std::nullopt;
  // One timeout a line: the line count bounds the lists, which then never
  // move their million entries as they grow.
  into.begin(from_epoch_ms(saved_ms), static_cast<std::uint64_t>(generation), count_lines(text));
  if (!list(in, "timeouts", snapshot_list::pending, into))
    return std::nullopt;
  in.expect(",\n");
  if (!list(in, "parked", snapshot_list::parked, into))
    return std::nullopt;
  if (!trailer)
    in.expect("\n}\n");
  if (!in.at_end())
    return std::nullopt;
  return static_cast<std::uint64_t>(generation);
}

std::optional<snapshot> read_canonical_snapshot(std::string_view text) {
  struct collect final : snapshot_sink {
    snapshot s;
    void begin(timestamp saved_at, std::uint64_t generation, std::size_t about) override {
      s.saved_at = saved_at;
      s.generation = generation;
      s.pending.reserve(about);
    }
    status add(timeout&& t, snapshot_list to) override {
      (to == snapshot_list::parked ? s.parked : s.pending).push_back(std::move(t));
      return done{};
    }
    void clear() override { s = snapshot{}; }
  } read;
  if (!read_canonical_snapshot(text, read))
    return std::nullopt;
  // Checked once the lists are read: interleaved with parsing, the index's
  // buckets would fall out of the cache between lookups. A duplicate
  // is the general reader's to report.
  for (const auto* list : {&read.s.pending, &read.s.parked}) {
    distinct_tokens seen{list_tokens{list}, list->size()};
    for (std::size_t i = 0; i < list->size(); ++i)
      if (!seen.admit(i))
        return std::nullopt;
  }
  return std::move(read.s);
}

} // namespace chronos::detail
