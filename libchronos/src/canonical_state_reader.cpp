#include "canonical_state_reader.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <thread>

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

  /// The text not read yet (empty once something failed).
  std::string_view rest() const { return ok_ ? text_.substr(pos_) : std::string_view{}; }
  void skip(std::size_t n) { pos_ += n; }

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

// Entries one a line, each line but the last ending in ',': a piece of a
// list's body that starts at a line break. The strings escape every control
// character, so a raw '\n' only ever separates entries.
bool entries(std::string_view piece, bool ends_list, std::vector<timeout>& out) {
  out.reserve(static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n')));
  while (!piece.empty()) {
    if (piece.front() != '\n')
      return false;
    auto end = piece.find('\n', 1);
    const bool last = end == std::string_view::npos;
    if (last)
      end = piece.size();
    cursor in{piece.substr(1, end - 1)};
    auto t = entry(in);
    if (!t)
      return false;
    if (!(last && ends_list))
      in.expect(",");
    if (!in.at_end())
      return false;
    out.push_back(std::move(*t));
    piece.remove_prefix(end);
  }
  return true;
}

// A large list is parsed in pieces on all cores (a million entries: ~90 MB);
// below this many bytes a piece is not worth a thread.
constexpr std::size_t min_piece_bytes = 4 << 20;

bool parallel_entries(std::string_view body, std::vector<timeout>& out) {
  const std::size_t cores = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  const std::size_t n = std::max<std::size_t>(1, std::min(cores, body.size() / min_piece_bytes));
  // Pieces end where a line begins.
  std::vector<std::string_view> pieces;
  std::size_t from = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    auto to = i == n ? body.size() : body.find('\n', std::max(from + 1, body.size() * i / n));
    if (to == std::string_view::npos)
      to = body.size();
    if (to > from)
      pieces.push_back(body.substr(from, to - from));
    from = to;
  }
  std::vector<std::vector<timeout>> parsed(pieces.size());
  std::vector<char> ok(pieces.size(), 0);
  auto parse = [&](std::size_t i) { ok[i] = entries(pieces[i], i + 1 == pieces.size(), parsed[i]); };
  std::vector<std::thread> helpers;
  for (std::size_t i = 1; i < pieces.size(); ++i)
    helpers.emplace_back(parse, i);
  if (!pieces.empty())
    parse(0);
  for (auto& h : helpers)
    h.join();
  if (std::count(ok.begin(), ok.end(), 0) > 0)
    return false;
  std::size_t total = 0;
  for (const auto& p : parsed)
    total += p.size();
  out.reserve(total);
  for (auto& p : parsed)
    std::move(p.begin(), p.end(), std::back_inserter(out));
  return true;
}

// `"key": [` then entries one a line, then `\n]`.
bool list(cursor& in, std::string_view key, std::vector<timeout>& out) {
  in.expect("\"");
  in.expect(key);
  in.expect("\": [");
  const auto rest = in.rest();
  const auto close = rest.find("\n]");
  if (!in.ok() || close == std::string_view::npos)
    return false;
  if (!parallel_entries(rest.substr(0, close), out))
    return false;
  in.skip(close);
  in.expect("\n]");
  if (!in.ok())
    return false;
  // Checked once the list is read: interleaved with parsing, the index's
  // buckets fall out of the cache (0.35 s slower at a million).
  distinct_tokens seen{out}; // a duplicate is the general reader's to report
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!seen.admit(i))
      return false;
  return true;
}

} // namespace

std::optional<snapshot> read_canonical_snapshot(std::string_view text) {
  cursor in{text};
  snapshot s;
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
  s.saved_at = from_epoch_ms(saved_ms);
  s.generation = static_cast<std::uint64_t>(generation);
  if (!list(in, "timeouts", s.pending))
    return std::nullopt;
  in.expect(",\n");
  if (!list(in, "parked", s.parked))
    return std::nullopt;
  in.expect("\n}\n");
  if (!in.at_end())
    return std::nullopt;
  return s;
}

} // namespace chronos::detail
