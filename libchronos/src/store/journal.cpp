#include "chronos/store/journal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/crc32.hpp"
#include "base/hex.hpp"
#include "store/canonical_json.hpp"
#include "store/file_io.hpp"
#include "store/line_count.hpp"
#include "store/mapped_file.hpp"
#include "store/timeout_json.hpp"

namespace chronos {

namespace {

using json = nlohmann::json;
using detail::io_error;

constexpr const char* format_name = "chronos-journal";
constexpr std::string_view reserved_bytes{"\n\0", 2};
constexpr int format_version = 2;
// The versions read: 1 has no record counts.
constexpr int oldest_format_version = 1;

// "state/chronos.json" -> "state/chronos"; other names keep their extension.
std::string base_of(const std::string& state_path) {
  constexpr std::string_view ext = ".json";
  if (state_path.size() > ext.size()
      && state_path.compare(state_path.size() - ext.size(), ext.size(), ext) == 0)
    return state_path.substr(0, state_path.size() - ext.size());
  return state_path;
}

// "CRC32 TEXT\n"
void append_line(std::string& out, std::string_view text) {
  char crc[10];
  std::snprintf(crc, sizeof crc, "%08x ", crc32(text));
  out += crc;
  out += text;
  out += '\n';
}

std::string record_text(const change& c) {
  std::string text = "{\"op\":\"";
  text += to_string(c.what);
  text += '"';
  switch (c.what) {
    case change::op::schedule:
    case change::op::park:
      text += ",\"t\":";
      detail::append_json(text, c.entry);
      break;
    case change::op::reschedule:
    case change::op::rearm:
      text += ",\"token\":\"" + c.token.str() + "\",\"deadline_ms\":";
      text += std::to_string(to_epoch_ms(c.deadline));
      if (c.delay.count() > 0)
        text += ",\"delay_ms\":" + std::to_string(c.delay.count());
      break;
    default:
      text += ",\"token\":\"" + c.token.str() + '"';
      break;
  }
  text += '}';
  return text;
}

outcome<change> change_from(const json& j, const std::string& where) {
  if (!j.is_object())
    return detail::corrupt(where, "expected an object");
  auto op_text = detail::string_field(j, where, "op");
  if (!op_text)
    return op_text.error();
  auto op = parse_op(*op_text);
  if (!op)
    return detail::corrupt(where, "unknown op \"" + *op_text + "\"");
  change c{*op, {}, {}, {}, {}};
  if (c.what == change::op::schedule || c.what == change::op::park) {
    auto t = j.find("t");
    if (t == j.end())
      return detail::corrupt(where, "missing field \"t\"");
    auto entry = detail::timeout_from_json(*t, where + ".t");
    if (!entry)
      return entry.error();
    c.token = entry->token;
    c.entry = std::move(*entry);
    return c;
  }
  auto tok = detail::token_field(j, where);
  if (!tok)
    return tok.error();
  c.token = *tok;
  if (c.what == change::op::reschedule || c.what == change::op::rearm) {
    auto d = detail::int_field(j, where, "deadline_ms", 0, max_deadline_ms);
    if (!d)
      return d.error();
    c.deadline = from_epoch_ms(*d);
    auto delay = detail::int_field(j, where, "delay_ms", 0, max_jitter.count() - 1, 0);
    if (!delay)
      return delay.error();
    c.delay = millis{*delay};
  }
  return c;
}

// "{"records":N}", the count that ends each write (N records in the file so
// far); nullopt for anything else.
std::optional<std::uint64_t> record_count(std::string_view text) {
  detail::canonical_cursor in{text};
  in.expect("{\"records\":");
  const auto n = in.integer();
  in.expect("}");
  if (!in.ok() || !in.at_end() || n < 0)
    return std::nullopt;
  return static_cast<std::uint64_t>(n);
}

void append_record_count(std::string& out, std::uint64_t records) {
  append_line(out, "{\"records\":" + std::to_string(records) + "}");
}

// The fast path: a record exactly as record_text writes it, read without a
// JSON parser (about three times faster); nullopt for anything else, which the
// general path (change_from) then reads, or reports.
std::optional<change> canonical_change(std::string_view text) {
  detail::canonical_cursor in{text};
  in.expect("{\"op\":");
  const auto op = parse_op(in.unescaped());
  if (!in.ok() || !op)
    return std::nullopt;
  change c{*op, {}, {}, {}, {}};
  if (c.what == change::op::schedule || c.what == change::op::park) {
    in.expect(",\"t\":");
    auto t = detail::canonical_timeout(in);
    if (!t)
      return std::nullopt;
    c.token = t->token;
    c.entry = std::move(*t);
  } else {
    in.expect(",\"token\":");
    const auto tok = token::parse(in.unescaped());
    if (!in.ok() || !tok)
      return std::nullopt;
    c.token = *tok;
    if (c.what == change::op::reschedule || c.what == change::op::rearm) {
      in.expect(",\"deadline_ms\":");
      const auto d = in.integer();
      if (!in.ok() || d < 0 || d > max_deadline_ms)
        return std::nullopt;
      c.deadline = from_epoch_ms(d);
      if (in.peek(",\"delay_ms\":")) {
        in.expect(",\"delay_ms\":");
        const auto delay = in.integer();
        if (!in.ok() || delay <= 0 || delay >= max_jitter.count())
          return std::nullopt;
        c.delay = millis{delay};
      }
    }
  }
  in.expect("}");
  if (!in.at_end())
    return std::nullopt;
  return c;
}

// The JSON text of a "CRC32 JSON" line whose checksum matches; nullopt when
// the line is damaged.
std::optional<std::string_view> checked_text(std::string_view line) {
  if (line.size() < 10 || line[8] != ' ')
    return std::nullopt;
  const auto expected = detail::parse_lower_hex8(line.data());
  auto text = line.substr(9);
  if (!expected || crc32(text) != *expected)
    return std::nullopt;
  return text;
}

std::optional<json> parse_json(std::string_view text) {
  auto j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

// Whether a line is a whole record (or count): its checksum matches and it is
// JSON.
bool intact(std::string_view line) {
  const auto text = checked_text(line);
  return text && (canonical_change(*text) || parse_json(*text));
}

// Whether a whole record is among the complete lines of `text`.
bool any_intact(std::string_view text) {
  for (std::size_t p = 0; p < text.size();) {
    const auto n = text.find('\n', p);
    if (n == std::string_view::npos)
      return false;
    if (intact(text.substr(p, n - p)))
      return true;
    p = n + 1;
  }
  return false;
}

// Keeps the line break that ends the last record and drops the reserved space
// after it (see journal.hpp). A step allocated but not yet filled when the
// process died reads as NUL bytes; those are reserved space too.
std::string_view without_reserved_space(std::string_view text) {
  const auto last = text.find_last_not_of(reserved_bytes);
  if (last == std::string_view::npos)
    return {};
  return text.substr(0, std::min(text.size(), last + 2));
}

} // namespace

std::string journal_path(const std::string& state_path, std::uint64_t gen) {
  return base_of(state_path) + ".journal." + std::to_string(gen);
}

outcome<std::vector<std::uint64_t>> list_journals(const std::string& state_path) {
  const std::string base = base_of(state_path);
  const auto slash = base.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : base.substr(0, slash + 1);
  const std::string prefix = (slash == std::string::npos ? base : base.substr(slash + 1))
                             + ".journal.";
  std::vector<std::uint64_t> gens;
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr)
    return errno == ENOENT ? outcome<std::vector<std::uint64_t>>{gens}
                           : outcome<std::vector<std::uint64_t>>{io_error("cannot list", folder)};
  while (auto* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.substr(0, prefix.size()) != prefix)
      continue;
    auto digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 18
        || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    gens.push_back(std::stoull(std::string{digits}));
  }
  ::closedir(dir);
  std::sort(gens.begin(), gens.end());
  return gens;
}

void append_record(std::string& out, const change& c) { append_line(out, record_text(c)); }

outcome<journal_extent> decode_journal(std::string_view file, const std::string& name,
                                       const change_visitor& each) {
  const auto text = without_reserved_space(file);
  journal_extent out;
  out.reserved_bytes = file.size() - text.size();
  if (file.find('\n') == std::string_view::npos) {
    out.never_written = true;
    out.torn_bytes = text.size();
    return out;
  }
  std::size_t pos = 0;
  bool header = true;
  int version = 0;
  const auto at = [&] { return "journal '" + name + "' at byte " + std::to_string(pos); };
  const auto hand_over = [&](change&& c) -> status {
    ++out.records;
    if (auto ok = each(std::move(c)); !ok)
      return fail(ok.error().code, "journal '" + name + "', record " + std::to_string(out.records)
                                     + ": " + ok.error().detail);
    return done{};
  };
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const auto body = nl == std::string_view::npos ? std::nullopt
                                                   : checked_text(text.substr(pos, nl - pos));
    if (body && !header) {
      if (auto c = canonical_change(*body)) {
        if (auto ok = hand_over(std::move(*c)); !ok)
          return ok.error();
        pos = nl + 1;
        out.valid_bytes = pos;
        continue;
      }
      if (auto count = record_count(*body); count && version >= 2) {
        if (*count != out.records)
          return fail(errc::storage_failure,
                      at() + ": " + std::to_string(out.records) + " records before a count of "
                        + std::to_string(*count) + ": records are missing or repeated "
                          "(a line deleted or copied?)");
        pos = nl + 1;
        out.valid_bytes = pos;
        continue;
      }
    }
    auto line = body ? parse_json(*body) : std::nullopt; // not const: a missing key reads as null
    if (!line) {
      // Damage is a torn tail only if no intact record follows it.
      const auto rest = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      if (header || any_intact(rest))
        return fail(errc::storage_failure, at() + ": damaged record (checksum or syntax)");
      out.torn_bytes = text.size() - pos;
      break;
    }
    if (header) {
      const auto& v = (*line)["version"];
      if ((*line)["format"] != format_name || !v.is_number_integer()
          || v.get<int>() < oldest_format_version || v.get<int>() > format_version
          || !(*line)["generation"].is_number_unsigned())
        return fail(errc::storage_failure, at() + ": not a chronos journal of version "
                                             + std::to_string(oldest_format_version) + " to "
                                             + std::to_string(format_version));
      version = v.get<int>();
      out.generation = (*line)["generation"].get<std::uint64_t>();
      header = false;
    } else {
      auto c = change_from(*line, at());
      if (!c)
        return c.error();
      if (auto ok = hand_over(std::move(*c)); !ok)
        return ok.error();
    }
    pos = nl + 1;
    out.valid_bytes = pos;
  }
  if (header)
    return fail(errc::storage_failure, "journal '" + name + "' at byte 0: missing header");
  return out;
}

outcome<journal_extent> read_journal(const std::string& path, const change_visitor& each) {
  auto file = detail::mapped_file::open_if_exists(path);
  if (!file)
    return file.error();
  if (!*file)
    return fail(errc::storage_failure, "journal '" + path + "' is missing");
  return decode_journal((*file)->text(), path, each);
}

namespace {

template <class Read>
outcome<journal_contents> collected(Read read) {
  journal_contents out;
  auto extent = read([&](change&& c) -> status {
    out.changes.push_back(std::move(c));
    return done{};
  });
  if (!extent)
    return extent.error();
  static_cast<journal_extent&>(out) = *extent;
  return out;
}

} // namespace

outcome<journal_contents> decode_journal(std::string_view text, const std::string& name) {
  return collected([&](const change_visitor& each) { return decode_journal(text, name, each); });
}

outcome<journal_contents> read_journal(const std::string& path) {
  return collected([&](const change_visitor& each) { return read_journal(path, each); });
}

// -- writer ------------------------------------------------------------------------------

outcome<journal_writer> journal_writer::create(const std::string& path, std::uint64_t generation) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("cannot create journal", path);
  journal_writer w{fd, path, generation};
  std::string header;
  append_line(header, json{{"format", format_name}, {"version", format_version},
                           {"generation", generation}}
                        .dump());
  auto written = w.write_at_end(header);
  if (written)
    written = w.sync();
  if (!written) {
    std::remove(path.c_str());
    return written.error();
  }
  // The new file's name should survive a crash too; the records that matter
  // are synced by every commit, so a failure here is not fatal.
  (void)detail::sync_folder_of(path);
  return w;
}

journal_writer::journal_writer(journal_writer&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)),
    generation_(other.generation_), size_(other.size_), file_size_(other.file_size_),
    records_(other.records_) {}

journal_writer& journal_writer::operator=(journal_writer&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    generation_ = other.generation_;
    size_ = other.size_;
    file_size_ = other.file_size_;
    records_ = other.records_;
  }
  return *this;
}

journal_writer::~journal_writer() {
  if (fd_ >= 0)
    ::close(fd_);
}

status journal_writer::append(std::string_view bytes) {
  const auto records = records_ + detail::count_lines(bytes);
  std::string counted;
  counted.reserve(bytes.size() + 32);
  counted += bytes;
  append_record_count(counted, records);
  if (size_ + counted.size() > file_size_)
    reserve(size_ + counted.size());
  auto written = write_at_end(counted);
  if (written)
    records_ = records;
  return written;
}

// Grows the file with newlines to the next whole step past `end`. Best effort:
// fallocate first, so that a disk without room fails fast and writes nothing;
// on any failure the file keeps its length and the record write grows it.
void journal_writer::reserve(std::uint64_t end) {
  const std::uint64_t target = (end / reserve_step + 1) * reserve_step;
  const auto from = static_cast<off_t>(file_size_);
  auto give_up = [&] { (void)::ftruncate(fd_, from); };
  if (::fallocate(fd_, 0, from, static_cast<off_t>(target - file_size_)) != 0
      && errno != EOPNOTSUPP)
    return give_up();
  static const std::string newlines(64 * 1024, '\n');
  for (std::uint64_t at = file_size_; at < target; at += newlines.size()) {
    const auto piece = std::min<std::uint64_t>(newlines.size(), target - at);
    if (!detail::write_all_at(fd_, {newlines.data(), piece}, at))
      return give_up();
  }
  file_size_ = target;
}

status journal_writer::write_at_end(std::string_view bytes) {
  if (!detail::write_all_at(fd_, bytes, size_)) {
    auto err = io_error("cannot write journal", path_);
    // Cut off the partial record (and the reserved space after it) so the
    // file stays a sequence of whole records.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
      return fail(errc::storage_failure,
                  err.detail + " (and cannot cut it back: " + std::strerror(errno) + ")");
    file_size_ = size_;
    return err;
  }
  size_ += bytes.size();
  file_size_ = std::max(file_size_, size_);
  return done{};
}

status journal_writer::sync() {
  if (::fdatasync(fd_) != 0)
    return io_error("cannot sync journal", path_);
  return done{};
}

} // namespace chronos
