#pragma once

// The idempotency keys of timeouts: a client may give a schedule a key, and a
// second schedule of the same name and key, while the first is pending or
// parked, answers the first one's token and adds nothing. So a request sent
// again after a failover (the old leader made it, but its answer was lost)
// is not scheduled twice.
//
// The index does not follow every way a timeout leaves the tables (fired,
// delivered, cancelled, undone): a lookup asks whether the token found is
// still held, and entries whose timeouts are gone are swept out once they
// could outnumber the live ones, so the index stays within twice the keyed
// timeouts held (plus a constant).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "chronos/table/token.hpp"

namespace chronos::detail {

class key_index {
public:
  /// The token of the live timeout of `name` with `key`, if one is held;
  /// `held(token)` says whether a token's timeout still is.
  template <class Held>
  std::optional<token> find(std::string_view name, std::string_view key, Held held) const {
    auto it = by_key_.find(composite(name, key));
    if (it == by_key_.end() || !held(it->second))
      return std::nullopt;
    return it->second;
  }

  /// Notes that `tok` is the timeout of `name` with `key` (replacing a dead
  /// entry of the same name and key); sweeps with `held` when due.
  template <class Held>
  void add(std::string_view name, std::string_view key, token tok, Held held) {
    auto both = composite(name, key);
    if (auto old = by_key_.find(both); old != by_key_.end())
      by_token_.erase(old->second);
    by_key_[both] = tok;
    by_token_[tok] = std::move(both);
    if (by_token_.size() > 2 * live_after_sweep_ + 1024)
      sweep(held);
  }

  /// The key of `tok`'s timeout, or empty when it has none.
  std::string_view key_of(token tok) const {
    auto it = by_token_.find(tok);
    if (it == by_token_.end())
      return {};
    const auto& both = it->second;
    return std::string_view{both}.substr(both.find('\0') + 1);
  }

  bool empty() const { return by_token_.empty(); }
  std::size_t size() const { return by_token_.size(); }

  void clear() {
    by_key_.clear();
    by_token_.clear();
    live_after_sweep_ = 0;
  }

private:
  // Names hold no control characters, so a NUL ends the name.
  static std::string composite(std::string_view name, std::string_view key) {
    std::string out;
    out.reserve(name.size() + 1 + key.size());
    out.append(name);
    out += '\0';
    out.append(key);
    return out;
  }

  template <class Held>
  void sweep(Held held) {
    for (auto it = by_token_.begin(); it != by_token_.end();) {
      if (held(it->first)) {
        ++it;
        continue;
      }
      by_key_.erase(it->second);
      it = by_token_.erase(it);
    }
    live_after_sweep_ = by_token_.size();
  }

  std::unordered_map<std::string, token> by_key_;
  std::unordered_map<token, std::string> by_token_;
  std::size_t live_after_sweep_ = 0;
};

} // namespace chronos::detail
