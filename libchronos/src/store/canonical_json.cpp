#include "store/canonical_json.hpp"

#include <charconv>

#include "base/hex.hpp"
#include "base/utf8.hpp"
#include "store/json_plain.hpp"
#include "store/timeout_json.hpp"

namespace chronos::detail {

std::int64_t canonical_cursor::integer() {
  std::int64_t v = 0;
  if (!ok_)
    return v;
  const char* first = text_.data() + pos_;
  const char* last = text_.data() + text_.size();
  // JSON allows no '+' or leading zeros; the encoder writes neither, nor
  // "-0". After a sign, a zero is one of those.
  const bool negative = first != last && *first == '-';
  const char* digits = negative ? first + 1 : first;
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (digits == last
      || (*digits == '0' && (negative || (last - digits > 1 && is_digit(digits[1]))))) {
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

std::string canonical_cursor::string() {
  std::string out;
  expect("\"");
  while (ok_ && pos_ < text_.size()) {
    // Most strings hold no escape at all: runs go in at once.
    const auto end = pos_ + plain_prefix(text_.substr(pos_));
    out.append(text_.data() + pos_, end - pos_);
    pos_ = end;
    if (pos_ >= text_.size())
      break;
    const char c = text_[pos_++];
    if (c == '"') {
      if (!valid_utf8(out))
        ok_ = false;
      return out;
    }
    if (c != '\\') // a control character
      break;
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

std::string_view canonical_cursor::unescaped() {
  expect("\"");
  const auto end = pos_ + plain_prefix(text_.substr(pos_));
  if (!ok_ || end == text_.size() || text_[end] != '"') {
    ok_ = false;
    return {};
  }
  const auto out = text_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return out;
}

// "\u00XX", the form the encoder gives the other control characters.
char canonical_cursor::control_char() {
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

std::optional<timeout> canonical_timeout(canonical_cursor& in) {
  timeout_fields f;
  if (in.peek("{\"cron\":")) {
    in.expect("{\"cron\":");
    f.cron = in.string();
    in.expect(",\"deadline_ms\":");
  } else {
    in.expect("{\"deadline_ms\":");
  }
  f.deadline_ms = in.integer();
  if (in.peek(",\"delay_ms\":")) {
    in.expect(",\"delay_ms\":");
    f.delay_ms = in.integer();
  }
  in.expect(",\"interval_ms\":");
  f.interval_ms = in.integer();
  if (in.peek(",\"jitter_ms\":")) {
    in.expect(",\"jitter_ms\":");
    f.jitter_ms = in.integer();
  }
  if (in.peek(",\"key\":")) {
    in.expect(",\"key\":");
    f.key = in.string();
  }
  if (in.peek(",\"misfire\":")) {
    in.expect(",\"misfire\":");
    f.misfire = in.string();
  }
  in.expect(",\"name\":");
  f.name = in.string();
  in.expect(",\"payload\":");
  f.payload = in.string();
  if (in.peek(",\"prev_ms\":")) {
    in.expect(",\"prev_ms\":");
    f.prev_ms = in.integer();
  }
  in.expect(",\"token\":");
  f.token = in.unescaped();
  if (in.peek(",\"tz\":")) {
    in.expect(",\"tz\":");
    f.tz = in.string();
  }
  in.expect("}");
  if (!in.ok())
    return std::nullopt;
  auto t = make_timeout(std::move(f), [] { return std::string{}; });
  if (!t)
    return std::nullopt;
  return std::move(*t);
}

} // namespace chronos::detail
