#include "chronos/store/state_file.hpp"

#include <cstdint>

#include "base/crc32.hpp"
#include "chronos/base/log.hpp"
#include "chronos/store/atomic_file.hpp"
#include "store/canonical_state_reader.hpp"
#include "store/mapped_file.hpp"
#include "store/state_checksum.hpp"
#include "store/state_reader.hpp"
#include "store/timeout_json.hpp"

namespace chronos {

namespace {

// A snapshot's own lists, for what has them already.
class lists_of final : public snapshot_source {
public:
  explicit lists_of(const snapshot& s) : s_(s) {}
  void for_each(snapshot_list of, const visitor& each) const override {
    for (const auto& t : of == snapshot_list::parked ? s_.parked : s_.pending)
      each(t);
  }

private:
  const snapshot& s_;
};

// Appends one list; `flush` takes the text whenever it reaches `piece` bytes.
// After a failed flush the rest is passed over.
template <class Flush>
bool append_list(std::string& out, const char* key, const snapshot_source& from, snapshot_list of,
                 std::size_t piece, Flush& flush) {
  out += ",\n\"";
  out += key;
  out += "\": [";
  const char* sep = "\n";
  bool ok = true;
  from.for_each(of, [&](const timeout& t) {
    if (!ok)
      return;
    out += sep;
    detail::append_json(out, t);
    sep = ",\n";
    if (out.size() >= piece)
      ok = flush(out);
  });
  out += "\n]";
  return ok;
}

// Encodes a state file into `out`. Whenever `out` holds `piece` bytes or
// more, and at the end, `flush(out)` takes them (it may empty `out`); false
// if it fails. The checksum covers every byte before its trailer, whatever
// the pieces were.
template <class Flush>
bool encode_into(const snapshot_source& from, timestamp saved_at, std::uint64_t generation,
                 std::string& out, std::size_t piece, Flush flush) {
  std::uint32_t crc = 0;
  std::size_t summed = out.size(); // what `out` held before is not ours
  auto sum = [&] {
    crc = crc32(std::string_view{out}.substr(summed), crc);
    summed = out.size();
  };
  auto summed_flush = [&](std::string& text) {
    sum();
    const bool ok = flush(text);
    summed = out.size();
    return ok;
  };
  out += "{\"format\": \"";
  out += state_file_format::name;
  out += "\", \"version\": " + std::to_string(state_file_format::version);
  out += ", \"saved_ms\": " + std::to_string(to_epoch_ms(saved_at));
  out += ", \"generation\": " + std::to_string(generation);
  if (!append_list(out, "timeouts", from, snapshot_list::pending, piece, summed_flush)
      || !append_list(out, "parked", from, snapshot_list::parked, piece, summed_flush))
    return false;
  sum();
  detail::append_checksum(out, crc);
  return flush(out);
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

// What save_state encodes before handing it to the file: small enough to stay
// in cache, and the text is never whole in memory (first touching 100 MB of
// fresh pages cost more than the encoding itself).
constexpr std::size_t save_piece = 1 << 20;

// What `read` makes of the state file's text, or `missing` if there is no file.
template <class T, class Read>
outcome<T> read_state_file(const std::string& path, T missing, Read read) {
  auto file = detail::mapped_file::open_if_exists(path);
  if (!file)
    return fail(errc::storage_failure, "cannot read state file: " + file.error().detail);
  if (!*file)
    return missing;
  if (!detail::has_checksum((*file)->text()))
    log_info("state file '" + path
             + "' has no checksum (written before checksums, or edited by hand): read unchecked");
  outcome<T> result = read((*file)->text());
  if (!result)
    return fail(errc::storage_failure,
                "state file '" + path + "' is unusable: " + result.error().detail);
  return result;
}

} // namespace

outcome<std::string> encode(const snapshot& s) {
  try {
    std::string out;
    out.reserve(encoded_size(s));
    encode_into(lists_of{s}, s.saved_at, s.generation, out, SIZE_MAX,
                [](std::string&) { return true; });
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

// The fast reader straight into `into`; anything it does not know goes to the
// general reader, which names what is wrong.
outcome<std::uint64_t> decode_into(std::string_view text, snapshot_sink& into) {
  if (auto generation = detail::read_canonical_snapshot(text, into))
    return *generation;
  into.clear();
  auto s = detail::read_snapshot(text);
  if (!s)
    return s.error();
  const auto generation = s->generation;
  if (auto ok = restore(std::move(*s), into); !ok)
    return ok.error();
  return generation;
}

outcome<snapshot> load_state(const std::string& path) {
  return read_state_file(path, snapshot{}, decode);
}

outcome<std::uint64_t> load_state(const std::string& path, snapshot_sink& into) {
  return read_state_file(path, std::uint64_t{0},
                         [&](std::string_view text) { return decode_into(text, into); });
}

status save_state(const std::string& path, const snapshot& s) {
  return save_state(path, lists_of{s}, s.saved_at, s.generation);
}

status save_state(const std::string& path, const snapshot_source& from, timestamp saved_at,
                  std::uint64_t generation) {
  auto file = atomic_writer::create(path);
  if (!file)
    return file.error();
  status written = done{};
  try {
    std::string piece;
    piece.reserve(save_piece + 4096);
    encode_into(from, saved_at, generation, piece, save_piece, [&](std::string& text) {
      written = file->append(text);
      text.clear();
      return static_cast<bool>(written);
    });
  } catch (const std::bad_alloc&) {
    return fail(errc::storage_failure, "cannot encode state: out of memory");
  }
  if (!written)
    return written;
  return file->commit();
}

} // namespace chronos
