#pragma once

// The duplicate-token check of a list of timeouts as it is read, shared by both
// state-file readers. The tokens stay in the list; the set holds positions in
// it (token_index.hpp), so the check costs 4-8 bytes a timeout and no nodes.
// Private to libchronos.

#include <vector>

#include "chronos/timeout.hpp"
#include "chronos/token_index.hpp"

namespace chronos::detail {

class distinct_tokens {
public:
  explicit distinct_tokens(const std::vector<timeout>& list) : list_(&list) {}

  /// Takes in the list's timeout `i`; false if its token is already there.
  bool admit(std::size_t i) {
    const auto at = static_cast<token_index::slot_id>(i);
    auto key_of = [this](token_index::slot_id k) { return (*list_)[k].token; };
    if (seen_.find((*list_)[at].token, key_of) != token_index::none)
      return false;
    seen_.insert(at, key_of);
    return true;
  }

private:
  const std::vector<timeout>* list_;
  token_index seen_;
};

} // namespace chronos::detail
