#include "canonical_state_reader.hpp"

#include <charconv>
#include <cstring>

#include "chronos/utf8.hpp"
#include "distinct_tokens.hpp"
#include "hex.hpp"
#include "timeout_json.hpp"

namespace chronos::detail {

namespace {

// A cursor over the text; every step either matches or leaves `ok` false,
// after which nothing matches any more.
class cursor {
public:
  explicit cursor(std::string_view text) : text_(text) {}

  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && pos_ == text_.size(); }

  bool peek(std::string_view lit) const {
    return ok_ && text_.compare(pos_, lit.size(), lit) == 0;
  }

  void expect(std::string_view lit) {
    if (peek(lit))
      pos_ += lit.size();
    else
      ok_ = false;
  }

  std::int64_t integer() {
    std::int64_t v = 0;
    if (!ok_)
      return v;
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + text_.size();
    // JSON allows no '+' or leading zeros; the encoder writes neither.
    if (first == last || (*first == '0' && last - first > 1 && first[1] >= '0' && first[1] <= '9')) {
      ok_ = false;
      return v;
    }
    auto [end, ec] = std::from_chars(first, last, v);
    if (ec != std::errc{})
      ok_ = false;
    else
      pos_ += static_cast<std::size_t>(end - first);
    return v;
  }

  // A string with the escapes append_json_string writes; others give up.
  std::string string() {
    std::string out;
    expect("\"");
    while (ok_ && pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (!valid_utf8(out))
          ok_ = false;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size())
        break;
      switch (text_[pos_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': out += control_char(); break;
        default: ok_ = false;
      }
    }
    ok_ = false;
    return out;
  }

private:
  // "\u00XX", the form the encoder gives the other control characters.
  char control_char() {
    const bool fits = pos_ + 4 <= text_.size() && peek("00");
    const auto v = fits ? parse_lower_hex(text_.substr(pos_ + 2, 2)) : std::nullopt;
    // The encoder writes printable characters as they are.
    if (!v || *v >= 0x20) {
      ok_ = false;
      return 0;
    }
    pos_ += 4;
    return static_cast<char>(*v);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// memchr finds a line end many bytes at a time; std::count looks at each byte.
std::size_t count_lines(std::string_view text) {
  std::size_t lines = 0;
  const char* end = text.data() + text.size();
  for (const char* p = text.data();
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))));
       ++p)
    ++lines;
  return lines;
}

std::optional<timeout> entry(cursor& in) {
  timeout_fields f;
  in.expect("{\"deadline_ms\":");
  f.deadline_ms = in.integer();
  in.expect(",\"interval_ms\":");
  f.interval_ms = in.integer();
  if (in.peek(",\"misfire\":")) {
    in.expect(",\"misfire\":");
    f.misfire = in.string();
  }
  in.expect(",\"name\":");
  f.name = in.string();
  in.expect(",\"payload\":");
  f.payload = in.string();
  in.expect(",\"token\":");
  f.token = in.string();
  in.expect("}");
  if (!in.ok())
    return std::nullopt;
  auto t = make_timeout(std::move(f), [] { return std::string{}; });
  if (!t)
    return std::nullopt;
  return std::move(*t);
}

// `"key": [` then entries one a line, then `\n]`, each handed to `into`.
// One it refuses (a duplicate) is the general reader's to report.
bool list(cursor& in, std::string_view key, bool parked, snapshot_sink& into) {
  in.expect("\"");
  in.expect(key);
  in.expect("\": [");
  const char* sep = "\n";
  while (in.ok() && !in.peek("\n]")) {
    in.expect(sep);
    auto t = entry(in);
    if (!t || !into.take(std::move(*t), parked))
      return false;
    sep = ",\n";
  }
  in.expect("\n]");
  return in.ok();
}

} // namespace

std::optional<std::uint64_t> read_canonical_snapshot(std::string_view text, snapshot_sink& into) {
  cursor in{text};
  in.expect("{\"format\": \"");
  in.expect(snapshot::format_name);
  in.expect("\", \"version\": ");
  if (in.integer() != snapshot::format_version)
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
  if (!list(in, "timeouts", false, into))
    return std::nullopt;
  in.expect(",\n");
  if (!list(in, "parked", true, into))
    return std::nullopt;
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
    status take(timeout&& t, bool parked) override {
      (parked ? s.parked : s.pending).push_back(std::move(t));
      return done{};
    }
    void clear() override { s = snapshot{}; }
  } read;
  if (!read_canonical_snapshot(text, read))
    return std::nullopt;
  // Checked once the lists are read: interleaved with parsing, the index's
  // buckets fall out of the cache (0.35 s slower at a million). A duplicate
  // is the general reader's to report.
  for (const auto* list : {&read.s.pending, &read.s.parked}) {
    distinct_tokens seen{*list};
    for (std::size_t i = 0; i < list->size(); ++i)
      if (!seen.admit(i))
        return std::nullopt;
  }
  return std::move(read.s);
}

} // namespace chronos::detail
