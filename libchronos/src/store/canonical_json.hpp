#pragma once

// Reading back exactly the JSON text chronos writes (fixed key order, the
// escapes append_json_string uses, no spaces it does not write): the fast
// paths of the state file and journal readers, several times faster than a
// general JSON parser. Any other text makes them give up, and the general
// readers, which name what is wrong, read it instead. Private to libchronos.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "chronos/table/timeout.hpp"

namespace chronos::detail {

/// A cursor over the text; every step either matches or leaves `ok` false,
/// after which nothing matches any more.
class canonical_cursor {
public:
  explicit canonical_cursor(std::string_view text) : text_(text) {}

  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && pos_ == text_.size(); }

  bool peek(std::string_view lit) const {
    return ok_ && text_.compare(pos_, lit.size(), lit) == 0;
  }

  /// The same for a literal: its length known when compiling, the compare
  /// is a few inlined instructions (a state file has six a timeout).
  template <std::size_t N>
  bool peek(const char (&lit)[N]) const {
    return ok_ && text_.size() - pos_ >= N - 1 && std::memcmp(text_.data() + pos_, lit, N - 1) == 0;
  }

  template <class Literal>
  void expect(const Literal& lit) {
    if (peek(lit))
      pos_ += length(lit);
    else
      ok_ = false;
  }

  /// An integer as the encoder writes it (no '+', no leading zeros).
  std::int64_t integer();

  /// A string literal with the escapes append_json_string writes, valid UTF-8.
  std::string string();

  /// A string literal without escapes, as a view of the text (tokens and
  /// op names, which need none; unchecked UTF-8: the caller parses it).
  std::string_view unescaped();

private:
  static std::size_t length(std::string_view lit) { return lit.size(); }
  template <std::size_t N>
  static constexpr std::size_t length(const char (&)[N]) {
    return N - 1;
  }

  char control_char();

  std::string_view text_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// A timeout object as append_json writes it that meets the rules of
/// make_timeout; nullopt otherwise.
std::optional<timeout> canonical_timeout(canonical_cursor& in);

} // namespace chronos::detail
