#pragma once

// The duplicate-token check of a list of tokens taken in order: the timeouts
// of a state file's list as it is read (both state-file readers), and the
// tokens of a batch cancel. The tokens stay where they are; the set holds
// positions (slot_index.hpp), so the check costs 4-8 bytes a token and no
// nodes. Private to libchronos.

#include <vector>

#include "chronos/detail/slot_index.hpp"
#include "chronos/table/timeout.hpp"

namespace chronos::detail {

/// `TokenAt`: position -> token.
template <class TokenAt>
class distinct_tokens {
public:
  /// `expected`: how many will be admitted, if known (no regrowth then).
  explicit distinct_tokens(TokenAt token_at, std::size_t expected = 0) : token_at_(token_at) {
    seen_.reserve(expected, token_at_);
  }

  /// Takes in the token at position `i`; false if it is already there.
  bool admit(std::size_t i) {
    const auto at = static_cast<slot_index<token>::slot_id>(i);
    if (seen_.find(token_at_(at), token_at_) != slot_index<token>::none)
      return false;
    seen_.insert(at, token_at_);
    return true;
  }

private:
  TokenAt token_at_;
  slot_index<token> seen_;
};

/// The tokens of a list of timeouts, by position.
struct list_tokens {
  const std::vector<timeout>* list;
  token operator()(std::size_t i) const { return (*list)[i].token; }
};

} // namespace chronos::detail
